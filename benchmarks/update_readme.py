"""Copy benchmark result tables into README.md and docs/RESULTS.md between generated-include markers.

    <!-- BEGIN INCLUDE benchmarks/results/fidelity_mnpwad.md -->
    ... (generated; do not edit by hand) ...
    <!-- END INCLUDE benchmarks/results/fidelity_mnpwad.md -->

Run after a benchmark: ``python benchmarks/update_readme.py`` (``--check`` exits 1 when stale).
Every number in the README's result sections is therefore produced by a script in this repository.
"""
from __future__ import annotations

import argparse
import os
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PATTERN = re.compile(r"(<!-- BEGIN INCLUDE (?P<path>\S+) -->\n)(?P<body>.*?)(<!-- END INCLUDE (?P=path) -->)", re.S)


def _demote_headings(markdown: str, levels: int = 3) -> str:
    """Nest an included file's headings under the README section that includes it."""
    return "\n".join("#" * levels + line if line.startswith("#") else line for line in markdown.splitlines())


IMAGE = re.compile(r"!\[(?P<alt>[^\]]*)\]\((?P<href>[^)/:#]+)\)")


def _rebase_images(markdown: str, folder: str) -> str:
    """Image links relative to the included file (``![x](main-ranks.png)``) made relative to the document
    that includes it (``folder`` = the included file's folder as seen from that document)."""
    return IMAGE.sub(lambda m: f"![{m.group('alt')}]({folder}/{m.group('href')})", markdown)


def render(text: str, root: Path = ROOT, doc_dir: str = ".") -> str:
    """``text`` with every include block refreshed; ``doc_dir`` is the including document's folder
    relative to ``root`` (image links are rebased for it)."""
    def replace(match: re.Match) -> str:
        src = root / match.group("path")
        folder = Path(os.path.relpath(Path(match.group("path")).parent, doc_dir)).as_posix()
        body = _rebase_images(_demote_headings(src.read_text()), folder).rstrip() + "\n" if src.exists() else f"_(not yet produced: run the script that writes `{match.group('path')}`)_\n"
        return match.group(1) + body + match.group(4)

    return PATTERN.sub(replace, text)


#: documents with generated includes (paths relative to the repository root)
DOCUMENTS = ("README.md", "docs/RESULTS.md")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="exit 1 if a document is not up to date")
    args = parser.parse_args(argv)
    stale = []
    for name in DOCUMENTS:
        doc = ROOT / name
        if not doc.exists():
            continue
        old = doc.read_text()
        new = render(old, ROOT, Path(name).parent.as_posix())
        if new == old:
            continue
        stale.append(name)
        if not args.check:
            doc.write_text(new)
            print(f"{name} updated")
    if args.check and stale:
        print(f"{', '.join(stale)}: includes are stale; run python benchmarks/update_readme.py")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
