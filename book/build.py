"""Build the course book: ``python book/build.py`` (``make book``), HTML under ``build/book/``.

Steps (details and the choice of toolchain in docs/ARCHITECTURE.md, "The course book"):

1. **Stage** the sources under ``build/book-src/`` with the repository's layout: every
   ``notebooks/*.ipynb``, ``solutions/*.ipynb`` and ``exercises/*.ipynb``, ``README.md``,
   ``docs/*.md`` and the figures of ``benchmarks/results/``, so that relative links between them
   keep working. Generated pages are added: the landing page with the course map (``index.md``),
   the labs overview and the API reference (one page per module, from the docstrings). Each
   notebook page gets a line under its title with "Open in Colab", "download .ipynb" and its
   source on GitHub, all derived from ``[tool.adlab]`` in pyproject.toml. Markdown links to files
   that are not pages of the book are pointed at the file on GitHub. Files are written only when
   their bytes change, so Sphinx rereads only what changed.
2. **Build** with Sphinx + myst-nb + sphinx-book-theme (``book/conf.py``). myst-nb executes every
   notebook and solution (FAST schedules unless ``BOOK_FULL=1``) through jupyter-cache under
   ``build/jupyter_cache/``: an unchanged notebook is not executed again.
"""
from __future__ import annotations

import argparse
import ast
import hashlib
import importlib
import importlib.util
import pkgutil
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from adlab.notebooks import RepositoryAddress, repository_address  # noqa: E402

NOTEBOOKS, SOLUTIONS, EXERCISES = "notebooks", "solutions", "exercises"
#: docs/**/*.md are pages of the book; these come first in the navigation, the rest follow sorted.
DOCS_FIRST = ("docs/RESULTS.md", "docs/COURSE.md", "README.md", "docs/INSTRUCTORS.md", "docs/ARCHITECTURE.md")
BADGE = re.compile(r"\[!\[Open In Colab\]\(https://colab\.research\.google\.com/assets/colab-badge\.svg\)\]\([^)]*\)")
BADGE_IMAGE = re.compile(r"\[!\[Open In Colab\]\(https://colab\.research\.google\.com/assets/colab-badge\.svg\)\]"
                         r"\((?P<url>[^)]*)\)")
LINK = re.compile(r"(?P<bang>!?)\[(?P<text>(?:[^\[\]]|\[[^\]]*\])*)\]\((?P<href>[^)\s]+)\)")
#: API modules documented besides those of the public names and those the notebooks import.
EXTRA_API_MODULES = ("adlab.components", "adlab.labs")


# ------------------------------------------------------------------------------------------ helpers
def write_if_changed(path: Path, data: str | bytes) -> bool:
    data = data.encode("utf-8") if isinstance(data, str) else data
    if path.exists() and path.read_bytes() == data:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return True


def notebook_title(path: Path) -> str:
    """The first markdown ``# `` heading of a notebook (``.ipynb``)."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        if cell["cell_type"] == "markdown":
            for line in "".join(cell["source"]).splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return path.stem


def sources(root: Path, folder: str) -> list[Path]:
    return sorted(p for p in (root / folder).glob("*.ipynb") if not p.name.startswith("_"))


# ------------------------------------------------------------------------------------ link rewriting
def rewrite_links(text: str, doc: str, pages: set[str], staged: set[str], addr: RepositoryAddress) -> str:
    """Markdown links of ``doc`` (a repository path) made to work inside the book.

    A relative link to a notebook's ``.py`` source becomes a link to its page (the ``.ipynb``); a link
    to a page or to a staged file (figure) stays; any other relative link (a script, a folder, a
    file outside the book) becomes a link to that file on GitHub at the configured address.
    """
    base = Path(doc).parent

    def fix(m: re.Match) -> str:
        href = m["href"]
        if re.match(r"^[a-z][a-z0-9+.-]*:", href) or href.startswith("#") or href.startswith("/"):
            return m[0]
        path, _, anchor = href.partition("#")
        target = os.path.normpath((base / path).as_posix()).replace(os.sep, "/")
        if target.startswith(".."):
            return m[0]
        if target.endswith(".py") and target[:-3] + ".ipynb" in pages:
            new = os.path.relpath(target[:-3] + ".ipynb", base.as_posix() or ".")
        elif target in pages or target in staged:
            return m[0]
        else:
            kind = "tree" if (ROOT / target).is_dir() else "blob"
            new = f"{addr.github_url}/{kind}/{addr.branch}/{target}"
        new = new.replace(os.sep, "/") + (f"#{anchor}" if anchor else "")
        return f"{m['bang']}[{m['text']}]({new})"

    return LINK.sub(fix, text)


# ----------------------------------------------------------------------------------- notebook pages
def run_line(rel: str, addr: RepositoryAddress) -> str:
    """The line under each notebook page's title: Colab, download, source; plus what kind of page it is."""
    depth = "../" * rel.count("/")
    py = rel[:-6] + ".py"
    line = (f"[Open in Colab]({addr.colab_url(rel)}) · "
            f"{{download}}`download .ipynb <{depth}_ipynb/{rel}>` · "
            f"[source (`{py}`) on GitHub]({addr.blob_url(py)})")
    folder, name = rel.split("/")
    if folder == EXERCISES:
        line += (f"\n\n**Exercise page.** The code cells marked `YOUR CODE HERE` stop with `NotImplementedError` "
                 f"until you fill them in: open the notebook in Colab (or locally) and work through it. "
                 f"The worked solution, executed, is on [its own page](../{SOLUTIONS}/{name}).")
    elif folder == SOLUTIONS:
        line += (f"\n\n**Worked solution**, executed. Try the [exercise version](../{EXERCISES}/{name}) "
                 f"first.")
    if folder != EXERCISES:
        mode = "full schedules" if os.environ.get("BOOK_FULL") == "1" else \
            "FAST mode (`ADLAB_FAST=1`: shorter schedules and smaller data, so numbers differ from a full run)"
        line += f"\n\n*The outputs on this page were produced by executing the notebook in {mode}.*"
    return line


def doc_pages(root: Path) -> list[str]:
    """README.md and every ``docs/**/*.md``, in navigation order."""
    found = {"README.md"} | {p.relative_to(root).as_posix() for p in (root / "docs").rglob("*.md")}
    return [d for d in DOCS_FIRST if d in found] + sorted(found - set(DOCS_FIRST))


def stage_notebook(src: Path, rel: str, addr: RepositoryAddress, pages: set[str] = frozenset(),
                   staged: set[str] = frozenset()) -> str:
    nb = json.loads(src.read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        if cell["cell_type"] == "markdown":
            cell["source"] = rewrite_links("".join(cell["source"]), rel, pages, staged, addr)
    line = run_line(rel, addr)
    cells = nb["cells"]
    first_md = next((i for i, c in enumerate(cells) if c["cell_type"] == "markdown"), None)
    suffix = {EXERCISES: " (exercise)", SOLUTIONS: " (worked solution)"}.get(rel.split("/")[0], "")
    if suffix and first_md is not None:  # the two pages of a lab must not share a title (navigation, search)
        text = "".join(cells[first_md]["source"])
        cells[first_md]["source"] = re.sub(r"(?m)^# (.+)$", lambda m: f"# {m[1].rstrip()}{suffix}", text, count=1)
    done = False
    if first_md is not None:
        text = "".join(cells[first_md]["source"])
        if BADGE.search(text):
            cells[first_md]["source"] = BADGE.sub(lambda _: line, text, count=1)
            done = True
    if not done:
        at = 0 if first_md is None else first_md + 1
        cells.insert(at, {"cell_type": "markdown", "id": "adlab-book-links", "metadata": {}, "source": line})
    return json.dumps(nb, indent=1, ensure_ascii=False) + "\n"


# ------------------------------------------------------------------------------------- generated pages
def course_map(root: Path, addr: RepositoryAddress) -> str:
    rows = ["| # | notebook | run it |", "|---|---|---|"]
    for p in sources(root, NOTEBOOKS):
        rel = f"{NOTEBOOKS}/{p.name}"
        rows.append(f"| {p.name[:2]} | [{notebook_title(p)}]({rel}) | [Colab]({addr.colab_url(rel)}) |")
    labs = ["| lab | exercise | worked solution | run it |", "|---|---|---|---|"]
    for p in sources(root, SOLUTIONS):
        title = notebook_title(p)
        ex = f"{EXERCISES}/{p.name}"
        labs.append(f"| {title} | [exercise]({ex}) | [solution]({SOLUTIONS}/{p.name}) | "
                    f"[Colab]({addr.colab_url(ex)}) |")
    return "\n".join(rows), "\n".join(labs)


INDEX = """# adlab — deep weakly-supervised anomaly detection, built to be read

A course on **weakly-/semi-supervised anomaly detection for tabular data**: a large unlabeled set (with
hidden anomalies in it) plus a handful of labeled anomalies. Each notebook builds one piece of a
detector by hand, checks it against the `adlab` package, and then uses the real thing; the labs turn
those pieces into exercises that are graded automatically.

Every page below was **executed** when this book was built, so the figures and tables are there to
read before you run anything. To run a page yourself, use its **Open in Colab** link (adlab installs
itself in the first cell) or **download .ipynb**; locally, `make demo` sets everything up
([repository]({github})).

## Course map

The walkthrough notebooks, in order ([the course in one page](docs/COURSE.md) shows which ones depend on
which, the notation and a glossary).

{notebooks}

## Labs

Each lab has an **exercise** page (the stubs a learner fills in; not executed here) and a **worked
solution** page (executed). See the [instructors' guide](docs/INSTRUCTORS.md) for how they are built
and graded.

{labs}

## Results and reference

* [Results](docs/RESULTS.md): ablations, prototype counts, sweeps, unseen anomalies — every table and
  figure produced by a script in the repository. The headline tables (fidelity, main comparison,
  speed) are in the [repository overview](README.md#results).
* [The course in one page](docs/COURSE.md): paths through the notebooks, notation, glossary.
* [Instructors' guide](docs/INSTRUCTORS.md), [architecture notes](docs/ARCHITECTURE.md), and the
  [reference notes](docs/references/README.md) on what the papers and the authors' code do.
* [API reference](api/index.rst), generated from the docstrings.

```{{toctree}}
:hidden:
:caption: Course notebooks

{toc_notebooks}
```

```{{toctree}}
:hidden:
:caption: Labs — exercises

{toc_exercises}
```

```{{toctree}}
:hidden:
:caption: Labs — worked solutions

{toc_solutions}
```

```{{toctree}}
:hidden:
:caption: Results and reference

{toc_docs}
api/index
```
"""


def index_page(root: Path, addr: RepositoryAddress) -> str:
    notebooks, labs = course_map(root, addr)

    def toc(folder):
        return "\n".join(f"{folder}/{p.stem}" for p in sources(root, folder))

    return INDEX.format(github=addr.github_url, notebooks=notebooks, labs=labs, toc_notebooks=toc(NOTEBOOKS),
                        toc_exercises=toc(EXERCISES),
                        toc_solutions=toc(SOLUTIONS), toc_docs="\n".join(d[:-3] for d in doc_pages(root)))


def notebook_imports(root: Path) -> dict[str, set[str]]:
    """``{module: names}`` imported from adlab by the notebooks and lab solutions (empty set: the module itself)."""
    found: dict[str, set[str]] = {}
    for folder in (NOTEBOOKS, SOLUTIONS):
        for py in sorted((root / folder).glob("*.py")):
            try:
                tree = ast.parse(py.read_text(encoding="utf-8"))
            except SyntaxError:
                continue
            for node in ast.walk(tree):
                if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "adlab":
                    for alias in node.names:
                        sub = f"{node.module}.{alias.name}"
                        if importlib.util.find_spec(node.module) and _is_module(sub):
                            found.setdefault(sub, set())
                        else:
                            found.setdefault(node.module, set()).add(alias.name)
                elif isinstance(node, ast.Import):
                    for alias in node.names:
                        if alias.name.startswith("adlab."):
                            found.setdefault(alias.name, set())
    return found


def _is_module(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def _defining_module(module: str, name: str) -> str:
    obj = getattr(importlib.import_module(module), name, None)
    return getattr(obj, "__module__", None) or module


def api_pages(root: Path) -> dict[str, str]:
    """The API reference: an overview of the public names and one page per module."""
    import adlab

    public = {name: _defining_module("adlab", name) for name in adlab.__all__}
    detectors = [n for n in adlab._DETECTORS if n in public]
    used = notebook_imports(root)
    modules = {m for m in public.values()}
    for module, names in used.items():
        if module == "adlab":
            modules.update(public[n] for n in names if n in public)
        else:
            modules.add(module)
            modules.update(_defining_module(module, n) for n in names)
    for extra in EXTRA_API_MODULES:
        pkg = importlib.import_module(extra)
        modules.add(extra)
        for info in pkgutil.iter_modules(getattr(pkg, "__path__", [])):
            if not info.name.startswith("_"):
                modules.add(f"{extra}.{info.name}")
    modules = sorted(m for m in modules if m.startswith("adlab") and m != "adlab" and _is_module(m))

    # reStructuredText, not MyST: autosummary tables and docstrings are RST (numpydoc through napoleon)
    def table(names):
        return ".. autosummary::\n   :nosignatures:\n\n" + "\n".join(f"   ~{n}" for n in names) + "\n"

    def heading(text, char):
        return f"{text}\n{char * len(text)}\n"

    others = sorted(n for n in public if n not in detectors)
    used_by_nb = sorted({f"{_defining_module(m, n)}.{n}" for m, ns in used.items() for n in ns
                         if not (m == "adlab" and n in adlab._DETECTORS)})
    pages = {"api/index.rst": "\n".join([
        heading("API reference", "="),
        "Generated from the docstrings of the package (numpydoc style, rendered by napoleon). "
        "The public names are importable from ``adlab`` itself (``from adlab import MNPWAD, weak_split``).",
        "",
        heading("Detectors", "-"),
        "Every detector keeps the same contract: ``fit(X, y)``, ``decision_function(X)``, ``predict(X)``, "
        "``save``/``load``, ``history_`` (see :class:`~adlab.models.base.WeakDetector`).",
        "",
        table(f"{public[n]}.{n}" for n in detectors),
        heading("Data, evaluation, configuration", "-"),
        table(f"{public[n]}.{n}" for n in others),
        heading("Components the notebooks import", "-"),
        "Every name a course notebook or lab imports from adlab.",
        "",
        table(used_by_nb),
        heading("Modules", "-"),
        ".. toctree::\n   :maxdepth: 1\n\n" + "\n".join(f"   {m}" for m in modules) + "\n",
    ])}
    for m in modules:
        title = heading(f"``{m}``", "=")
        if hasattr(importlib.import_module(m), "__path__"):  # a package: its docstring and its modules
            subs = [s for s in modules if s.startswith(m + ".") and "." not in s[len(m) + 1:]]
            pages[f"api/{m}.rst"] = (f"{title}\n.. automodule:: {m}\n   :no-members:\n\n"
                                     + "\n".join(f"* :doc:`{s}`" for s in subs) + "\n")
        else:
            pages[f"api/{m}.rst"] = f"{title}\n.. automodule:: {m}\n   :members:\n"
    return pages


# ---------------------------------------------------------------------------------------------- stage
def stage(root: Path = ROOT, out: Path | None = None) -> Path:
    """Write the Sphinx source tree under ``out`` (default ``build/book-src``); return ``out``."""
    root = Path(root)
    out = Path(out or root / "build" / "book-src")
    addr = repository_address(root)
    files: dict[str, str | bytes] = {}
    pages = {f"{d}/{p.name}" for d in (NOTEBOOKS, SOLUTIONS, EXERCISES) for p in sources(root, d)}
    pages |= set(doc_pages(root))
    figures = {f"benchmarks/results/{p.name}" for p in sorted((root / "benchmarks" / "results").glob("*.png"))}
    for rel in sorted(p for p in pages if p.endswith(".ipynb")):
        files[rel] = stage_notebook(root / rel, rel, addr, pages, figures)
        files[f"_ipynb/{rel}"] = (root / rel).read_bytes()
    for rel in sorted(p for p in pages if p.endswith(".md")):
        if (root / rel).exists():
            text = BADGE_IMAGE.sub(r"[Open in Colab](\g<url>)", (root / rel).read_text(encoding="utf-8"))
            files[rel] = rewrite_links(text, rel, pages, figures, addr)
    for rel in figures:
        files[rel] = (root / rel).read_bytes()
    files["index.md"] = index_page(root, addr)
    # API pages carry a digest of the package and conf.py: any docstring change makes Sphinx reread them
    digest = hashlib.sha256(b"".join(p.read_bytes() for p in [*sorted((root / "adlab").rglob("*.py")),
                                                              root / "book" / "conf.py"])).hexdigest()
    files.update({rel: f".. adlab sources {digest[:16]}\n\n{text}" for rel, text in api_pages(root).items()})
    # remove stale files (a notebook renamed or deleted), keep Sphinx's generated API stubs
    if out.exists():
        for path in out.rglob("*"):
            rel = path.relative_to(out).as_posix()
            if path.is_file() and rel not in files and not rel.startswith("api/generated/"):
                path.unlink()
    for rel, data in files.items():
        write_if_changed(out / rel, data)
    return out


def build(root: Path = ROOT, jobs: str = "1", extra: list[str] | None = None) -> int:
    src = stage(root)
    out = root / "build" / "book"
    doctrees = root / "build" / "book-doctrees"
    cmd = [sys.executable, "-m", "sphinx", "-b", "html", "-c", str(root / "book"), "-d", str(doctrees),
           "-j", jobs, "--keep-going", str(src), str(out), *(extra or [])]
    reports = out / "reports"
    shutil.rmtree(reports, ignore_errors=True)
    print("+", " ".join(cmd), flush=True)
    t0 = time.time()
    rc = subprocess.call(cmd, cwd=root)
    failed = sorted(reports.glob("**/*.err.log")) if reports.exists() else []
    for log in failed:
        print(f"book: notebook failed to execute, traceback in {log.relative_to(root)}", flush=True)
    print(f"book: sphinx exited {rc} after {time.time() - t0:.0f} s, {len(failed)} notebooks failed; "
          f"open {out / 'index.html'}", flush=True)
    return rc or (1 if failed else 0)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--stage-only", action="store_true", help="write build/book-src and stop")
    ap.add_argument("-j", "--jobs", default=os.environ.get("BOOK_JOBS", "1"))
    ap.add_argument("sphinx_args", nargs="*", help="extra arguments for sphinx-build (e.g. -E)")
    args = ap.parse_args(argv)
    if args.stage_only:
        print(stage())
        return 0
    return build(jobs=args.jobs, extra=args.sphinx_args)


if __name__ == "__main__":
    sys.exit(main())
