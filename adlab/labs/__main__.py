"""``python -m adlab.labs build|check|list|start|grade`` — see :mod:`adlab.labs.build` and
:mod:`adlab.labs.learner`."""
from __future__ import annotations

import argparse
import sys

from .build import (ROOT, EditedOutputError, LabSyntaxError, build_outputs, lab_sources, make_exercise,
                    stale_outputs, write_outputs)
from .learner import LEARNER_DIR, grade_lab, start_lab

DESCRIPTION = f"""Labs: exercises generated from solutions/, and the learner's workflow.

learners:
  start NN        copy exercise NN into {LEARNER_DIR}/ (ignored by git; never overwritten)
  grade PATH...   grade your .py or .ipynb (exit 1 unless every exercise passes)
instructors:
  build           regenerate exercises/ and the lab notebooks from solutions/ (refuses to overwrite a
                  generated file edited by hand unless --force, which backs it up first)
  check           exit 1 (listing the problems) when a generated file is out of date or was edited
  list            the labs and their exercises with hints"""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m adlab.labs", description=DESCRIPTION,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="cmd", metavar="{start,grade,build,check,list}")
    start = sub.add_parser("start", help="copy an exercise into your folder")
    start.add_argument("lab", help="lab number (e.g. 02) or name")
    start.add_argument("--dir", default=None, help=f"destination folder (default: {LEARNER_DIR}/)")
    start.add_argument("--format", choices=("ipynb", "py"), default="ipynb", dest="fmt")
    grade = sub.add_parser("grade", help="grade your lab file(s)")
    grade.add_argument("paths", nargs="+", help="NN_topic_lab.py or .ipynb")
    build = sub.add_parser("build", help="regenerate exercises and lab notebooks")
    build.add_argument("--force", action="store_true", help="overwrite hand-edited generated files (backed up first)")
    sub.add_parser("check", help="are the generated files current?")
    sub.add_parser("list", help="labs, exercises and hints")
    return parser


def _grade(paths: list[str]) -> int:
    failed = 0
    for path in paths:
        grades = grade_lab(path)
        print(path)
        for g in grades:
            line = f"  {g.id} {g.function}: {g.status}"
            print(line + (f" — {g.message}" if g.message else ""))
        n_ok = sum(g.passed for g in grades)
        print(f"  {n_ok}/{len(grades)} passed")
        failed += n_ok < len(grades)
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = _parser().parse_args(argv or ["check"])
    try:
        if args.cmd == "start":
            target = start_lab(args.lab, args.dir, args.fmt)
            print(f"copied to {target}\nopen it, fill in the exercises, then: python -m adlab.labs grade {target}")
            return 0
        if args.cmd == "grade":
            return _grade(args.paths)
        if args.cmd == "build":
            changed = write_outputs(build_outputs(ROOT), ROOT, force=args.force)
            for path in changed:
                print(f"wrote {path.relative_to(ROOT)}")
            print(f"{len(lab_sources(ROOT))} labs, {len(changed)} files changed")
            return 0
        if args.cmd == "check":
            problems = stale_outputs(ROOT)
            for p in problems:
                print(p)
            if not problems:
                print(f"{len(lab_sources(ROOT))} labs: exercises and notebooks are current")
            return 1 if problems else 0
        if args.cmd == "list":
            for src in lab_sources(ROOT):
                _, exercises = make_exercise(src.read_text(encoding="utf-8"), src.name)
                print(src.name)
                for ex in exercises:
                    print(f"  {ex.id}  {ex.hint}")
            return 0
    except (LabSyntaxError, EditedOutputError, FileExistsError, FileNotFoundError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    _parser().print_help(sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
