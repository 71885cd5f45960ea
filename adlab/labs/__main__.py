"""``python -m adlab.labs build|check|list`` — see :mod:`adlab.labs.build`."""
from __future__ import annotations

import sys

from .build import ROOT, LabSyntaxError, build_outputs, lab_sources, make_exercise, stale_outputs, write_outputs

USAGE = """usage: python -m adlab.labs [build|check|list]
  build   regenerate exercises/NN_*_lab.py and every lab .ipynb from solutions/NN_*_lab.py
  check   exit 1 (listing the problems) when a generated file is out of date
  list    the labs and their exercises with hints"""


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    cmd = argv[0] if argv else "check"
    try:
        if cmd == "build":
            changed = write_outputs(build_outputs(ROOT), ROOT)
            for path in changed:
                print(f"wrote {path.relative_to(ROOT)}")
            print(f"{len(lab_sources(ROOT))} labs, {len(changed)} files changed")
            return 0
        if cmd == "check":
            problems = stale_outputs(ROOT)
            for p in problems:
                print(p)
            if not problems:
                print(f"{len(lab_sources(ROOT))} labs: exercises and notebooks are current")
            return 1 if problems else 0
        if cmd == "list":
            for src in lab_sources(ROOT):
                _, exercises = make_exercise(src.read_text(encoding="utf-8"), src.name)
                print(src.name)
                for ex in exercises:
                    print(f"  {ex.id}  {ex.hint}")
            return 0
    except LabSyntaxError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(USAGE, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
