"""Check the built book in a real browser: ``python book/check.py`` (``make book-check``).

Serves ``build/book/`` on 127.0.0.1 (Python's http.server, an ephemeral port) and drives headless
Chromium (Debian's ``chromium`` + ``chromium-driver`` through selenium; nothing is downloaded).
It fails (exit 1, listing every problem) when

* any page logs a JavaScript console error (every HTML page of the book is opened);
* any page has a broken internal link or image: a link or ``src`` to a file the site does not
  have, or to an ``#anchor`` the target page does not have (checked on every page, from the
  HTML), or an image the browser could not render;
* a notebook page (``notebooks/*``) shows no rendered figure (an output image with a width > 0);
* a notebook or lab page lacks its "Open in Colab" link (on the configured repository, to a file
  that exists) or its "download .ipynb" link;
* searching the book for "prototype" returns nothing.

Screenshots of the landing page, an MNPWAD notebook (top and first figure), a lab (exercise and
solution), the API page, the results page and the search results, at desktop (1366 px) and phone (390 px) widths, go to
``build/book/_screenshots/``.
"""
from __future__ import annotations

import argparse
import functools
import http.server
import os
import re
import shutil
import sys
import threading
import time
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from adlab.notebooks import repository_address  # noqa: E402

SITE = ROOT / "build" / "book"
WIDTHS = {"desktop": (1366, 900), "phone": (390, 844)}
KEY_PAGES = {  # screenshot name -> page
    "landing": "index.html",
    "mnpwad-notebook": "notebooks/06_unified_scoring_mnpwad.html",
    "lab-exercise": "exercises/02_similarity_weights_lab.html",
    "lab-solution": "solutions/02_similarity_weights_lab.html",
    "api": "api/index.html",
    "results": "docs/RESULTS.html",
}
SEARCH_TERM = "prototype"


# ------------------------------------------------------------------------------- static HTML checks
class _Page(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()
        self.refs: list[tuple[str, str, str]] = []  # (tag, attribute, url)
        self.anchors: list[tuple[str, str]] = []  # (href, text) of <a>
        self._a: list[str] | None = None
        self._href = ""

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        for key in ("id", "name"):
            if a.get(key) and (key == "id" or tag == "a"):
                self.ids.add(a[key])
        if tag == "a" and a.get("href") is not None:
            self.refs.append((tag, "href", a["href"]))
            self._a, self._href = [], a["href"]
        elif tag == "link" and a.get("href") and a.get("rel") in ("stylesheet", "icon", "preload", "shortcut icon"):
            self.refs.append((tag, "href", a["href"]))
        for key in ("src",):
            if tag in ("img", "script", "source", "iframe") and a.get(key):
                self.refs.append((tag, key, a[key]))

    def handle_data(self, data):
        if self._a is not None:
            self._a.append(data)

    def handle_endtag(self, tag):
        if tag == "a" and self._a is not None:
            self.anchors.append((self._href, " ".join("".join(self._a).split())))
            self._a = None


@functools.lru_cache(maxsize=None)
def parse(path: Path) -> _Page:
    page = _Page()
    page.feed(path.read_text(encoding="utf-8", errors="replace"))
    return page


def html_pages(site: Path) -> list[Path]:
    return sorted(p for p in site.rglob("*.html") if "_screenshots" not in p.parts and "_static" not in p.parts
                  and "_sources" not in p.parts)


def _target(site: Path, page: Path, url: str) -> tuple[Path | None, str]:
    """The site file a relative URL points to (None for external/special URLs) and its fragment."""
    parts = urlsplit(url)
    if parts.scheme or parts.netloc or url.startswith(("mailto:", "javascript:", "data:")):
        return None, ""
    if not parts.path:
        return page, unquote(parts.fragment)
    target = (page.parent / unquote(parts.path)).resolve()
    if target.is_dir():
        target = target / "index.html"
    return target, unquote(parts.fragment)


def static_problems(site: Path = SITE, root: Path = ROOT) -> list[str]:
    """Broken internal links/images/anchors on every page; Colab/download links of notebook pages."""
    addr = repository_address(root)
    problems: list[str] = []
    site = site.resolve()
    colab_prefix = f"https://colab.research.google.com/github/{addr.slug}/blob/{addr.branch}/"
    for page in html_pages(site):
        rel = page.relative_to(site).as_posix()
        parsed = parse(page)
        for tag, attr, url in parsed.refs:
            target, fragment = _target(site, page, url)
            if url.startswith("https://colab.research.google.com/github/"):
                if not url.startswith(colab_prefix):
                    problems.append(f"{rel}: Colab link {url} is not on {addr.slug}@{addr.branch}")
                elif not (root / url[len(colab_prefix):]).is_file():
                    problems.append(f"{rel}: Colab link {url} opens a file the repository does not have")
            if target is None:
                continue
            if site not in target.parents and target != site:
                problems.append(f"{rel}: <{tag} {attr}={url!r}> points outside the site")
                continue
            if not target.exists():
                problems.append(f"{rel}: broken <{tag} {attr}={url!r}> (no {target.relative_to(site)})")
                continue
            if fragment and target.suffix == ".html" and fragment not in parse(target).ids:
                problems.append(f"{rel}: link {url!r} to a missing anchor #{fragment}")
        if rel.split("/")[0] in ("notebooks", "solutions", "exercises"):
            hrefs = [h for h, _ in parsed.anchors]
            ipynb = rel[:-5] + ".ipynb"
            if colab_prefix + ipynb not in hrefs:
                problems.append(f"{rel}: no 'Open in Colab' link to {colab_prefix + ipynb}")
            if not any(h.endswith(Path(ipynb).name) and "colab" not in h and "github.com" not in h
                       for h, text in parsed.anchors if "download" in text.lower() or h.endswith(".ipynb")):
                problems.append(f"{rel}: no 'download .ipynb' link")
    return problems


# ------------------------------------------------------------------------------------------ server
class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def serve(site: Path) -> tuple[http.server.ThreadingHTTPServer, str]:
    handler = functools.partial(_Quiet, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/"


# ------------------------------------------------------------------------------------------ browser
def find_browser() -> tuple[str, str]:
    browser = os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    driver = os.environ.get("CHROMEDRIVER") or shutil.which("chromedriver") or "/usr/bin/chromedriver"
    if not browser or not Path(driver).exists():
        raise SystemExit("book-check needs Chromium and its driver: `apt-get install -y chromium chromium-driver` "
                         "(Debian/Ubuntu); set CHROMIUM / CHROMEDRIVER to use others")
    return browser, driver


def open_browser(width: int, height: int):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    browser, driver = find_browser()
    opts = webdriver.ChromeOptions()
    opts.binary_location = browser
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                f"--window-size={width},{height}", "--hide-scrollbars", "--force-device-scale-factor=1",
                "--no-first-run", "--disable-extensions", "--disable-background-networking"):
        opts.add_argument(arg)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    drv = webdriver.Chrome(service=Service(executable_path=driver), options=opts)
    drv.set_page_load_timeout(60)
    # the exact viewport (a window cannot be narrower than ~500 px); phone widths get a mobile viewport
    drv.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                        {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600})
    return drv


def console_errors(drv) -> list[str]:
    return [e["message"] for e in drv.get_log("browser") if e.get("level") == "SEVERE"]


def wait_for(drv, script: str, timeout: float = 20.0):
    end = time.time() + timeout
    while True:
        value = drv.execute_script(script)
        if value or time.time() > end:
            return value
        time.sleep(0.2)


BROKEN_IMAGES = """return Array.from(document.images)
  .filter(i => i.complete && i.naturalWidth === 0 && getComputedStyle(i).display !== 'none')
  .map(i => i.getAttribute('src'));"""
FIGURES = """return Array.from(document.querySelectorAll('.cell_output img, .output img'))
  .filter(i => i.complete && i.naturalWidth > 0).length;"""
READY = "return document.readyState === 'complete';"
SEARCH_RESULTS = """const r = document.querySelectorAll('#search-results ul.search li');
  const done = document.querySelector('#search-results .search-summary');
  return (done && done.textContent.trim().length > 0) ? r.length + 1 : 0;"""


def browser_problems(base: str, site: Path, shots: Path, pages: list[str]) -> list[str]:
    problems: list[str] = []
    shots.mkdir(parents=True, exist_ok=True)
    width, height = WIDTHS["desktop"]
    drv = open_browser(width, height)
    try:
        for rel in pages:
            drv.get(base + rel)
            wait_for(drv, READY)
            time.sleep(0.3)
            if rel.startswith("notebooks/"):
                n = wait_for(drv, FIGURES, timeout=10)
                if not n:
                    problems.append(f"{rel}: notebook page without a rendered figure")
            for src in drv.execute_script(BROKEN_IMAGES) or []:
                problems.append(f"{rel}: image {src} did not render")
            for msg in console_errors(drv):
                problems.append(f"{rel}: console error: {msg}")
        # search
        drv.get(base + f"search.html?q={SEARCH_TERM}")
        found = wait_for(drv, SEARCH_RESULTS, timeout=30)
        hits = (found or 1) - 1
        if hits == 0:
            problems.append(f"search for {SEARCH_TERM!r} returned nothing")
        else:
            print(f"search for {SEARCH_TERM!r}: {hits} pages")
        for msg in console_errors(drv):
            problems.append(f"search.html: console error: {msg}")
    finally:
        drv.quit()
    # screenshots at both widths
    for label, (width, height) in WIDTHS.items():
        drv = open_browser(width, height)
        try:
            for name, rel in [*KEY_PAGES.items(), ("search", f"search.html?q={SEARCH_TERM}")]:
                drv.get(base + rel)
                wait_for(drv, READY)
                if name == "search":
                    wait_for(drv, SEARCH_RESULTS, timeout=30)
                time.sleep(1.0)  # fonts, MathJax
                drv.save_screenshot(str(shots / f"{name}-{label}.png"))
                if name in ("mnpwad-notebook", "results"):  # and the first figure of the page
                    drv.execute_script("const i = document.querySelector('.cell_output img, .bd-article img');"
                                       "if (i) i.scrollIntoView({block: 'center'});")
                    time.sleep(0.5)
                    drv.save_screenshot(str(shots / f"{name}-figure-{label}.png"))
                for msg in console_errors(drv):
                    problems.append(f"{rel} ({label}): console error: {msg}")
        finally:
            drv.quit()
    return problems


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Check build/book in headless Chromium.")
    ap.add_argument("--site", type=Path, default=SITE)
    ap.add_argument("--static-only", action="store_true", help="only the HTML link checks (no browser)")
    args = ap.parse_args(argv)
    site = args.site.resolve()
    if not (site / "index.html").exists():
        print(f"{site}/index.html is missing: run `make book` first", file=sys.stderr)
        return 1
    pages = [p.relative_to(site).as_posix() for p in html_pages(site)]
    missing = [p for p in KEY_PAGES.values() if p not in pages]
    problems = [f"{p}: expected page is missing" for p in missing]
    problems += static_problems(site)
    print(f"static checks: {len(pages)} pages")
    if not args.static_only:
        server, base = serve(site)
        try:
            problems += browser_problems(base, site, site / "_screenshots", pages)
        finally:
            server.shutdown()
        print(f"browser checks: {len(pages)} pages opened in Chromium; screenshots in {site / '_screenshots'}")
    for p in problems:
        print("FAIL", p)
    print(f"book-check: {len(problems)} problems" if problems else "book-check: OK")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
