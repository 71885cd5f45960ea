"""Keep every ``.ipynb`` in step with its jupytext ``py:percent`` source.

    python -m adlab.notebooks sync    # regenerate .ipynb from .py (keeps cell ids, no outputs)
    python -m adlab.notebooks check   # exit 1 and list stale notebooks
    python -m adlab.notebooks retarget OWNER/REPO [--branch B]   # point every course link elsewhere
    python -m adlab.notebooks address # print the repository address and the links derived from it

The ``.py`` file is the source; the ``.ipynb`` is committed without outputs because Colab opens
notebooks straight from the repository.

The repository's address (GitHub owner, name and branch) is one setting, ``[tool.adlab]`` in
``pyproject.toml``. Every "Open in Colab" link, every Colab install cell
(``pip install git+https://github.com/OWNER/REPO.git@BRANCH``), the README's links and the book's
buttons are derived from it (:class:`RepositoryAddress`); :func:`retarget` rewrites them all when a
course is forked, and :func:`address_problems` (run by the tests) lists any link that does not
follow the setting or that opens a file the repository does not have.
"""
from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path

__all__ = ["NOTEBOOK_DIRS", "paired_sources", "stale_notebooks", "sync", "RepositoryAddress",
           "repository_address", "address_files", "address_problems", "retarget", "THIRD_PARTY_REPOSITORIES"]

NOTEBOOK_DIRS = ("notebooks", "solutions", "exercises")
ROOT = Path(__file__).resolve().parents[1]


def paired_sources(root: Path = ROOT) -> list[Path]:
    """All py:percent sources in the notebook folders."""
    return sorted(p for d in NOTEBOOK_DIRS for p in (root / d).glob("*.py") if not p.name.startswith("_"))


def _cells(nb) -> list[tuple[str, str]]:
    return [(c.cell_type, c.source.strip()) for c in nb.cells]


def notebook_problem(py: Path) -> str | None:
    """Why the .ipynb paired with ``py`` is not current (or None when it is)."""
    import jupytext
    import nbformat

    ipynb = py.with_suffix(".ipynb")
    if not ipynb.exists():
        return f"{ipynb} is missing"
    expected = jupytext.read(py)
    actual = nbformat.read(ipynb, as_version=4)
    if _cells(expected) != _cells(actual):
        return f"{ipynb} differs from {py.name}: run `python -m adlab.notebooks sync`"
    with_outputs = [i for i, c in enumerate(actual.cells) if c.cell_type == "code" and (c.outputs or c.execution_count)]
    if with_outputs:
        return f"{ipynb} has stored outputs in cells {with_outputs[:5]}: commit it without outputs"
    return None


def stale_notebooks(root: Path = ROOT) -> list[str]:
    return [msg for py in paired_sources(root) if (msg := notebook_problem(py))]


def sync(root: Path = ROOT) -> list[Path]:
    """Regenerate each .ipynb from its .py with ``jupytext --update`` semantics (cell ids kept)."""
    import jupytext

    written = []
    for py in paired_sources(root):
        if notebook_problem(py) is None:
            continue
        ipynb = py.with_suffix(".ipynb")
        nb = jupytext.read(py)
        if ipynb.exists():
            old = jupytext.read(ipynb)
            ids = [c.get("id") for c in old.cells]
            for cell, cid in zip(nb.cells, ids):
                if cid:
                    cell["id"] = cid
        for cell in nb.cells:
            if cell.cell_type == "code":
                cell.outputs = []
                cell.execution_count = None
        jupytext.write(nb, ipynb, fmt="ipynb")
        written.append(ipynb)
    return written


# --------------------------------------------------------------------------------------------
# The repository's address: one setting, every link derived from it
# --------------------------------------------------------------------------------------------

_NAME = r"[A-Za-z0-9_.-]+"
_BRANCH = r"[A-Za-z0-9_.-]+"  # no '/': a branch name with a slash would make Colab URLs ambiguous
#: GitHub repositories other than the course itself that files may link to (data sources, papers' code).
THIRD_PARTY_REPOSITORIES = frozenset({"Minqi824/ADBench"})
#: Files whose links a learner or instructor sees (tests/ holds fixtures with made-up addresses).
ADDRESS_GLOBS = ("README.md", "docs/*.md", "notebooks/*.py", "notebooks/*.ipynb", "solutions/*.py",
                 "solutions/*.ipynb", "exercises/*.py", "exercises/*.ipynb", "adlab/**/*.py", "book/**/*.py",
                 "book/**/*.md", "benchmarks/*.py", "environment.yml", "Makefile", ".ci/run")

_COLAB = re.compile(rf"https://colab\.research\.google\.com/github/(?P<owner>{_NAME})/(?P<repo>{_NAME})"
                    rf"/blob/(?P<branch>{_BRANCH})/(?P<path>[^\s)\]\"'`>]+)")
_PIP = re.compile(rf"git\+https://github\.com/(?P<owner>{_NAME}?)/(?P<repo>{_NAME}?)\.git(?:@(?P<branch>{_BRANCH}))?"
                  rf"(?![A-Za-z0-9_.-])")
_PAGES = re.compile(rf"https://(?P<owner>{_NAME}?)\.github\.io/(?P<repo>{_NAME})/?")
_GITHUB = re.compile(rf"https://github\.com/(?P<owner>{_NAME})/(?P<repo>{_NAME}?)(?:\.git)?(?![A-Za-z0-9_.-])")


def _placeholder(m: re.Match) -> bool:
    """``OWNER/REPO`` in documentation describes a pattern, not an address to check or rewrite."""
    return m["owner"] == "OWNER" or m["repo"] == "REPO"


@dataclass(frozen=True)
class RepositoryAddress:
    """Where the course lives on GitHub; every course link is a function of these three values."""

    owner: str
    repo: str
    branch: str = "main"

    def __post_init__(self):
        for field, value, pattern in (("owner", self.owner, _NAME), ("repo", self.repo, _NAME),
                                      ("branch", self.branch, _BRANCH)):
            if not isinstance(value, str) or not re.fullmatch(pattern, value):
                raise ValueError(f"repository {field} {value!r} is not valid: use letters, digits, '.', '_', '-'"
                                 + (" (no '/' in a branch name)" if field == "branch" else ""))
        if self.repo.endswith(".git"):
            raise ValueError(f"repository name {self.repo!r} must not end in .git")

    @classmethod
    def parse(cls, slug: str, branch: str = "main") -> "RepositoryAddress":
        """``"OWNER/REPO"`` (a ``https://github.com/`` prefix and ``.git`` suffix are accepted)."""
        s = slug.strip().removeprefix("https://github.com/").removesuffix("/").removesuffix(".git")
        parts = s.split("/")
        if len(parts) != 2:
            raise ValueError(f"repository {slug!r} is not of the form OWNER/REPO")
        return cls(parts[0], parts[1], branch)

    @property
    def slug(self) -> str:
        return f"{self.owner}/{self.repo}"

    @property
    def github_url(self) -> str:
        return f"https://github.com/{self.slug}"

    @property
    def pip_url(self) -> str:
        """What a Colab install cell hands to ``pip install --no-deps``."""
        return f"git+https://github.com/{self.slug}.git@{self.branch}"

    @property
    def pages_url(self) -> str:
        """The course book, as GitHub Pages publishes ``build/book``."""
        return f"https://{self.owner}.github.io/{self.repo}/"

    def colab_url(self, path: str) -> str:
        """Colab opening ``path`` (relative to the repository root, e.g. ``notebooks/00_x.ipynb``)."""
        return f"https://colab.research.google.com/github/{self.slug}/blob/{self.branch}/{path}"

    def blob_url(self, path: str) -> str:
        return f"{self.github_url}/blob/{self.branch}/{path}"


def _read_toml(path: Path) -> dict:
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib
    with open(path, "rb") as fh:
        return tomllib.load(fh)


def repository_address(root: Path = ROOT) -> RepositoryAddress:
    """The ``[tool.adlab]`` setting of ``root/pyproject.toml``."""
    pyproject = Path(root) / "pyproject.toml"
    table = _read_toml(pyproject).get("tool", {}).get("adlab")
    if not table or "owner" not in table or "repo" not in table:
        raise ValueError(f"{pyproject} has no [tool.adlab] table with owner and repo")
    return RepositoryAddress(table["owner"], table["repo"], table.get("branch", "main"))


def address_files(root: Path = ROOT) -> list[Path]:
    """Every file whose links must follow the setting (see :data:`ADDRESS_GLOBS`)."""
    root = Path(root)
    files = {p for g in ADDRESS_GLOBS for p in root.glob(g) if p.is_file() and ".venv" not in p.parts}
    return sorted(files)


def address_problems(root: Path = ROOT) -> list[str]:
    """Every course link that is not derived from the setting or that opens a missing file.

    Checked in each file of :func:`address_files`: Colab links (``colab.research.google.com/github/...``:
    owner, repo and branch of the setting, and the linked notebook exists), pip install URLs
    (``git+https://github.com/OWNER/REPO.git@BRANCH``, exactly), GitHub Pages URLs, and every other
    ``https://github.com/OWNER/REPO`` link (the setting's, or one of :data:`THIRD_PARTY_REPOSITORIES`).
    """
    root = Path(root)
    addr = repository_address(root)
    fix = "run `python -m adlab.notebooks retarget` (see docs/INSTRUCTORS.md)"
    problems = []
    for path in address_files(root):
        rel = path.relative_to(root).as_posix()
        text = path.read_text(encoding="utf-8", errors="replace")
        for m in _COLAB.finditer(text):
            if _placeholder(m):
                continue
            if (m["owner"], m["repo"], m["branch"]) != (addr.owner, addr.repo, addr.branch):
                problems.append(f"{rel}: Colab link {m[0]} is not on {addr.slug}@{addr.branch}: {fix}")
            if "NN_" not in m["path"] and not (root / m["path"]).is_file():  # NN_topic: a pattern in prose
                problems.append(f"{rel}: Colab link {m[0]} opens {m['path']}, which the repository does not have")
        for m in _PIP.finditer(text):
            if not _placeholder(m) and m[0] != addr.pip_url:
                problems.append(f"{rel}: install URL {m[0]} is not {addr.pip_url}: {fix}")
        for m in _PAGES.finditer(text):
            if not _placeholder(m) and (m["owner"], m["repo"]) != (addr.owner, addr.repo):
                problems.append(f"{rel}: book URL {m[0]} is not {addr.pages_url}: {fix}")
        for m in _GITHUB.finditer(text):
            slug = f"{m['owner']}/{m['repo']}"
            if not _placeholder(m) and slug != addr.slug and slug not in THIRD_PARTY_REPOSITORIES:
                problems.append(f"{rel}: GitHub link {m[0]} is neither {addr.github_url} nor a known third-party "
                                f"repository (THIRD_PARTY_REPOSITORIES in adlab/notebooks.py): {fix}")
    return problems


def _retarget_text(text: str, old: RepositoryAddress, new: RepositoryAddress) -> str:
    text = _COLAB.sub(lambda m: m[0] if _placeholder(m) else new.colab_url(m["path"]), text)
    text = _PIP.sub(lambda m: m[0] if _placeholder(m) else new.pip_url, text)
    text = _PAGES.sub(lambda m: new.pages_url if (m["owner"], m["repo"]) == (old.owner, old.repo) else m[0], text)

    def github(m):
        if f"{m['owner']}/{m['repo']}" != old.slug:
            return m[0]
        return new.github_url + (".git" if m[0].endswith(".git") else "")

    text = _GITHUB.sub(github, text)
    # links into the tree (blob/tree/raw) keep their path but follow the branch
    return re.sub(rf"({re.escape(new.github_url)}/(?:blob|tree|raw))/{re.escape(old.branch)}/",
                  rf"\1/{new.branch}/", text)


def _write_setting(root: Path, addr: RepositoryAddress) -> None:
    pyproject = Path(root) / "pyproject.toml"
    text = pyproject.read_text(encoding="utf-8")
    table = re.search(r"(?ms)^\[tool\.adlab\]\n(?P<body>.*?)(?=^\[|\Z)", text)
    if table is None:
        raise ValueError(f"{pyproject} has no [tool.adlab] table")
    body = table["body"]
    for key, value in (("owner", addr.owner), ("repo", addr.repo), ("branch", addr.branch)):
        line = f'{key} = "{value}"'
        body, n = re.subn(rf'(?m)^{key}\s*=.*$', line, body)
        if not n:
            body = line + "\n" + body
    pyproject.write_text(text[:table.start("body")] + body + text[table.end("body"):], encoding="utf-8")


def retarget(slug: str, branch: str | None = None, root: Path = ROOT) -> list[Path]:
    """Point the course at ``slug`` (``OWNER/REPO``) and ``branch``; return the files rewritten.

    Writes the setting, rewrites every derived link in the hand-edited sources (README, docs,
    ``notebooks/*.py``, ``solutions/*.py``, ...), then regenerates the labs (``exercises/`` and the
    lab notebooks) and the ``.ipynb`` of every notebook, so the result is exactly what a fresh
    ``python -m adlab.labs build`` and ``sync`` would give. Running it twice changes nothing.
    """
    root = Path(root)
    old = repository_address(root)
    new = RepositoryAddress.parse(slug, branch or old.branch)
    generated = {p for d in ("exercises",) for p in (root / d).glob("*")} | {
        p for p in root.glob("*/*.ipynb") if p.parent.name in NOTEBOOK_DIRS}
    changed = []
    _write_setting(root, new)
    for path in address_files(root):
        if path in generated:
            continue
        text = path.read_text(encoding="utf-8")
        new_text = _retarget_text(text, old, new)
        if new_text != text:
            path.write_text(new_text, encoding="utf-8")
            changed.append(path)
    from .labs.build import build_outputs, write_outputs

    changed += write_outputs(build_outputs(root), root)
    changed += sync(root)
    return sorted(set(changed))


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    cmd = argv[0] if argv else "check"
    if cmd == "address":
        addr = repository_address()
        print(f"repository: {addr.github_url} (branch {addr.branch})\ninstall:    {addr.pip_url}\n"
              f"colab:      {addr.colab_url('notebooks/NN_topic.ipynb')}\nbook:       {addr.pages_url}")
        problems = address_problems()
        for p in problems:
            print(p)
        return 1 if problems else 0
    if cmd == "retarget":
        import argparse

        ap = argparse.ArgumentParser(prog="python -m adlab.notebooks retarget",
                                     description="Point every Colab badge, install cell and README link at OWNER/REPO.")
        ap.add_argument("repository", help="OWNER/REPO on GitHub")
        ap.add_argument("--branch", default=None, help="branch the links open (default: keep the current one)")
        args = ap.parse_args(argv[1:])
        try:
            changed = retarget(args.repository, args.branch)
        except ValueError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        for path in changed:
            print(f"wrote {path.relative_to(ROOT)}")
        addr = repository_address()
        print(f"course now at {addr.github_url} (branch {addr.branch}); {len(changed)} files rewritten")
        return 0
    if cmd == "sync":
        for path in sync():
            print(f"wrote {path.relative_to(ROOT)}")
        return 0
    if cmd == "check":
        problems = stale_notebooks()
        for p in problems:
            print(p)
        return 1 if problems else 0
    print("usage: python -m adlab.notebooks [sync|check|address|retarget OWNER/REPO [--branch B]]", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
