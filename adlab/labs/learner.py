"""The learner's workflow: work on a copy, grade it, never lose it.

* :func:`start_lab` copies a generated exercise (``exercises/NN_topic_lab.ipynb`` or ``.py``) into a
  learner folder, ``my_labs/`` by default (ignored by git, never touched by ``build``). It refuses to
  overwrite a copy that already exists.
* :func:`grade_lab` runs the checks of every exercise of a lab against a learner's ``.py`` or
  ``.ipynb`` file and returns one :class:`Grade` per exercise: passed, wrong (with the check's
  message), not attempted (the stub still raises), missing, or an error in the learner's code
  (with the line of their file).

``python -m adlab.labs start NN`` and ``python -m adlab.labs grade PATH`` wrap both.
"""
from __future__ import annotations

import contextlib
import io
import shutil
import traceback
from dataclasses import dataclass
from pathlib import Path

from .build import EXERCISES, ROOT, check_calls, lab_id, lab_namespace, lab_sources

__all__ = ["LEARNER_DIR", "Grade", "find_lab", "start_lab", "grade_lab"]

LEARNER_DIR = "my_labs"


@dataclass(frozen=True)
class Grade:
    id: str            # "NN.k"
    function: str
    status: str        # "passed" | "wrong" | "not attempted" | "missing" | "error"
    message: str = ""

    @property
    def passed(self) -> bool:
        return self.status == "passed"


def find_lab(lab: str, root: Path = ROOT) -> Path:
    """The solution source of lab ``lab`` ("2", "02" or "02_similarity_weights_lab"); ValueError when unknown."""
    sources = lab_sources(root)
    key = str(lab).strip()
    nn = key.zfill(2) if key.isdigit() else None
    for src in sources:
        if src.stem == key or src.name == key or (nn is not None and lab_id(src) == nn):
            return src
    known = ", ".join(lab_id(s) for s in sources)
    raise ValueError(f"no lab {lab!r}: the labs are {known}")


def start_lab(lab: str, dest: Path | str | None = None, fmt: str = "ipynb", root: Path = ROOT) -> Path:
    """Copy the exercise of ``lab`` into ``dest`` (default ``<root>/my_labs``) and return the copy's path.

    ``fmt`` is ``"ipynb"`` (open it in Jupyter or Colab) or ``"py"`` (a py:percent script). Refuses
    (FileExistsError) when the copy already exists: your work there is never replaced.
    """
    if fmt not in ("ipynb", "py"):
        raise ValueError(f"fmt must be 'ipynb' or 'py', got {fmt!r}")
    src = find_lab(lab, root)
    exercise = Path(root) / EXERCISES / f"{src.stem}.{fmt}"
    if not exercise.exists():
        raise ValueError(f"{exercise} is missing: run `python -m adlab.labs build` first")
    dest = Path(root) / LEARNER_DIR if dest is None else Path(dest)
    target = dest / exercise.name
    if target.exists():
        raise FileExistsError(f"{target} already exists and holds your work: grade it with "
                              f"`python -m adlab.labs grade {target}`, or delete it to start over")
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(exercise, target)
    return target


def _short_error(exc: BaseException, filename: str) -> str:
    """``TypeError: ... (line N of your file: <code>)``: the deepest frame in the learner's file."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename.startswith(filename)]
    where = f" (line {frames[-1].lineno} of your file: {frames[-1].line})" if frames else ""
    return f"{type(exc).__name__}: {exc}{where}"


def grade_lab(path: Path | str, root: Path = ROOT) -> list[Grade]:
    """Grade every exercise of the lab in ``path`` (``NN_topic_lab.py`` or ``.ipynb``, any folder).

    The lab is recognised by the file name's two-digit prefix; only the file's definition cells run
    (imports, functions, constants: no data loading or training). The checks are those of
    :mod:`adlab.labs.checks`, the list of exercises that of ``solutions/``.
    """
    from .checks import check_exercise

    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path} does not exist")
    src = find_lab(lab_id(path.with_suffix(".py")), root)
    calls = check_calls(src.read_text(encoding="utf-8"))
    try:
        namespace = lab_namespace(path)
    except Exception as exc:         # a syntax error or a failing import in the learner's file
        message = _short_error(exc, str(path))
        return [Grade(ex_id, fn, "error", f"the file does not load: {message}") for ex_id, fn in calls]
    grades = []
    for ex_id, fn in calls:
        if not callable(namespace.get(fn)):
            grades.append(Grade(ex_id, fn, "missing", f"no function {fn}() in a definition cell of {path.name}"))
            continue
        try:
            with contextlib.redirect_stdout(io.StringIO()):
                check_exercise(ex_id, namespace[fn])
        except NotImplementedError as exc:
            grades.append(Grade(ex_id, fn, "not attempted", str(exc)))
        except AssertionError as exc:
            grades.append(Grade(ex_id, fn, "wrong", str(exc)))
        except Exception as exc:
            grades.append(Grade(ex_id, fn, "error", _short_error(exc, str(path))))
        else:
            grades.append(Grade(ex_id, fn, "passed"))
    return grades
