"""Generate exercise labs from their solutions, and load a lab's functions for grading.

One source per lab: ``solutions/NN_topic_lab.py`` (jupytext ``py:percent``). From it,
:func:`build_outputs` derives three files, byte for byte deterministic:

* ``exercises/NN_topic_lab.py``  — the solution with every answer cut out;
* ``exercises/NN_topic_lab.ipynb`` and ``solutions/NN_topic_lab.ipynb`` — the notebooks Colab
  opens (no outputs, cell ids derived from the cell contents).

Markup inside ``solutions/*.py`` (see ``docs/INSTRUCTORS.md``)::

    def student_t(z, u, alpha=1.0):
        \"\"\"Docstring the learner keeps.\"\"\"
        ### BEGIN SOLUTION
        ### HINT: d2 = squared distances (n, k); then (1 + d2/alpha) ** (-(alpha + 1) / 2)
        d2 = ...
        return ...
        ### END SOLUTION

* a ``### BEGIN SOLUTION`` … ``### END SOLUTION`` region (same indentation, one code cell) becomes::

        # YOUR CODE HERE (exercise 02.1)
        raise NotImplementedError("Exercise 02.1: d2 = squared distances ...")

  indented like the BEGIN marker. Exercises are numbered ``NN.k`` in file order (``NN`` = the
  file's two-digit prefix). Every region must carry at least one ``### HINT:`` line (several are
  joined with a space); the hint becomes the exception message.
* a whole cell tagged ``solution`` (``# %% tags=["solution"]``, code or markdown) is dropped.
* in markdown cells, links to ``solutions/<this lab>.ipynb`` are pointed at ``exercises/``.
* every exercise ``NN.k`` must be graded by a later, untagged cell calling
  ``check_exercise("NN.k", function_name)``, and ``NN.k`` must exist in
  :data:`adlab.labs.checks.CHECKS`; the build refuses a lab that breaks either rule.

Grading (:func:`lab_namespace`) executes only a lab's *definition cells*: code cells whose
top-level statements are all imports, ``def``/``class`` statements, docstrings or assignments of
literal constants. Data loading, training and plotting cells never run on import, so exercise
functions must depend only on imports, constants and other definitions.
"""
from __future__ import annotations

import ast
import hashlib
import linecache
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "ROOT", "SOLUTIONS", "EXERCISES", "SOLUTION_TAG", "LabSyntaxError", "Exercise", "lab_sources",
    "lab_id", "make_exercise", "notebook_json", "build_outputs", "write_outputs", "stale_outputs",
    "check_calls", "definition_source", "lab_namespace", "lab_path", "lab_text", "MANIFEST",
    "EditedOutputError", "edited_outputs", "read_manifest",
]

ROOT = Path(__file__).resolve().parents[2]
SOLUTIONS = "solutions"
EXERCISES = "exercises"
SOLUTION_TAG = "solution"

_MARKER = re.compile(r"^# %%(?P<rest>.*)$")
_BEGIN = re.compile(r"^(?P<indent>[ \t]*)### BEGIN SOLUTION\s*$")
_END = re.compile(r"^(?P<indent>[ \t]*)### END SOLUTION\s*$")
_HINT = re.compile(r"^[ \t]*### HINT:\s*(?P<hint>.*?)\s*$")
_CHECK = re.compile(r"""check_exercise\(\s*["'](?P<id>\d\d\.\d+)["']\s*,\s*(?P<fn>[A-Za-z_]\w*)""")
_LAB_NAME = re.compile(r"^(?P<nn>\d\d)_\w+\.py$")


class LabSyntaxError(ValueError):
    """A solution file breaks the lab markup rules (the message names the file and line)."""


@dataclass(frozen=True)
class Exercise:
    id: str          # "NN.k"
    hint: str
    line: int        # 1-based line of the BEGIN marker in the solution file


@dataclass
class _Cell:
    marker: str       # the "# %% ..." line ('' for the header chunk)
    lines: list[str]  # body lines, without the marker
    start: int        # 1-based line number of the marker (or of the first header line)

    @property
    def is_markdown(self) -> bool:
        return "[markdown]" in self.marker or "[md]" in self.marker

    @property
    def tags(self) -> list[str]:
        from jupytext.cell_metadata import text_to_metadata

        rest = _MARKER.match(self.marker).group("rest")
        rest = re.sub(r"\[(markdown|md|raw)\]", "", rest).strip()
        if not rest:
            return []
        _, metadata = text_to_metadata(rest, allow_title=True)
        return list(metadata.get("tags", []))


# --------------------------------------------------------------------------- discovery
def lab_id(path: Path | str) -> str:
    """The two-digit lab number of ``NN_topic_lab.py`` (ValueError for any other name)."""
    m = _LAB_NAME.match(Path(path).name)
    if not m:
        raise ValueError(f"lab files are named NN_topic_lab.py (two digits first), got {Path(path).name!r}")
    return m.group("nn")


def lab_sources(root: Path = ROOT) -> list[Path]:
    """Every hand-written lab: ``solutions/NN_*.py``, sorted."""
    return sorted(p for p in (Path(root) / SOLUTIONS).glob("[0-9][0-9]_*.py"))


def lab_path(target: str, name: str, root: Path = ROOT) -> Path:
    """``<root>/<target>/<name>`` with ``target`` in {"solutions", "exercises"}."""
    if target not in (SOLUTIONS, EXERCISES):
        raise ValueError(f"target must be {SOLUTIONS!r} or {EXERCISES!r}, got {target!r}")
    return Path(root) / target / name


def _split_cells(text: str) -> list[_Cell]:
    """Split py:percent text into a header chunk (marker '') and one chunk per ``# %%`` cell."""
    cells = [_Cell("", [], 1)]
    for i, line in enumerate(text.split("\n"), start=1):
        if _MARKER.match(line):
            cells.append(_Cell(line, [], i))
        else:
            cells[-1].lines.append(line)
    return cells


def _join(cells: list[_Cell]) -> str:
    out: list[str] = []
    for c in cells:
        if c.marker:
            out.append(c.marker)
        out.extend(c.lines)
    return "\n".join(out)


# --------------------------------------------------------------------------- the transform
def _stub(indent: str, ex_id: str, hint: str) -> list[str]:
    message = f"Exercise {ex_id}: {hint}"
    literal = f'"{message}"' if '"' not in message and "\\" not in message else repr(message)
    return [f"{indent}# YOUR CODE HERE (exercise {ex_id})",
            f"{indent}raise NotImplementedError({literal})"]


def _cut_regions(cell: _Cell, nn: str, first: int, where: str) -> tuple[list[str], list[Exercise]]:
    """Replace the solution regions of one code cell; exercises numbered from ``first``."""
    out: list[str] = []
    found: list[Exercise] = []
    open_at = None          # (line number, indent, hints)
    for offset, line in enumerate(cell.lines, start=1):
        lineno = cell.start + offset
        if (m := _BEGIN.match(line)):
            if open_at is not None:
                raise LabSyntaxError(f"{where}:{lineno}: BEGIN SOLUTION inside the region opened at line {open_at[0]}")
            open_at = (lineno, m.group("indent"), [])
            continue
        if (m := _END.match(line)):
            if open_at is None:
                raise LabSyntaxError(f"{where}:{lineno}: END SOLUTION without a BEGIN SOLUTION")
            start, indent, hints = open_at
            if m.group("indent") != indent:
                raise LabSyntaxError(f"{where}:{lineno}: END SOLUTION must be indented like its BEGIN (line {start})")
            if not hints:
                raise LabSyntaxError(f"{where}:{start}: the region has no '### HINT: ...' line")
            ex = Exercise(f"{nn}.{first + len(found)}", " ".join(hints), start)
            found.append(ex)
            out.extend(_stub(indent, ex.id, ex.hint))
            open_at = None
            continue
        if open_at is not None:
            if (m := _HINT.match(line)):
                if not m.group("hint"):
                    raise LabSyntaxError(f"{where}:{lineno}: empty HINT")
                open_at[2].append(m.group("hint"))
            continue
        if "### HINT:" in line:
            raise LabSyntaxError(f"{where}:{lineno}: a HINT line outside a solution region")
        out.append(line)
    if open_at is not None:
        raise LabSyntaxError(f"{where}:{open_at[0]}: BEGIN SOLUTION is not closed in the same cell")
    return out, found


def check_calls(text: str) -> list[tuple[str, str]]:
    """``(exercise id, function name)`` for every ``check_exercise("NN.k", fn)`` in code cells
    that the exercise keeps (cells tagged ``solution`` are ignored), in file order."""
    calls = []
    for cell in _split_cells(text)[1:]:
        if cell.is_markdown or SOLUTION_TAG in cell.tags:
            continue
        calls += [(m.group("id"), m.group("fn")) for m in _CHECK.finditer("\n".join(cell.lines))]
    return calls


def make_exercise(text: str, name: str) -> tuple[str, list[Exercise]]:
    """Turn the text of ``solutions/<name>`` into the text of ``exercises/<name>``.

    Returns the exercise text and its exercises. Raises :class:`LabSyntaxError` on bad markup, a
    missing or unknown check, or a check that is not after its exercise.
    """
    from .checks import CHECKS

    nn = lab_id(name)
    where = f"{SOLUTIONS}/{name}"
    cells = _split_cells(text)
    header = cells[0]
    if any(_BEGIN.match(l) or _END.match(l) for l in header.lines):
        raise LabSyntaxError(f"{where}: solution markers before the first '# %%' cell")
    kept = [header]
    exercises: list[Exercise] = []
    region_cell: dict[str, int] = {}
    check_cell: dict[str, int] = {}
    stem = Path(name).with_suffix("").name
    for index, cell in enumerate(cells[1:], start=1):
        has_markers = any(_BEGIN.match(l) or _END.match(l) for l in cell.lines)
        if SOLUTION_TAG in cell.tags:
            if has_markers:
                raise LabSyntaxError(f"{where}:{cell.start}: a cell tagged 'solution' is dropped whole; "
                                     "it must not contain solution regions")
            continue
        if cell.is_markdown:
            if has_markers:
                raise LabSyntaxError(f"{where}:{cell.start}: solution regions belong in code cells")
            lines = [l.replace(f"{SOLUTIONS}/{stem}.ipynb", f"{EXERCISES}/{stem}.ipynb") for l in cell.lines]
            kept.append(_Cell(cell.marker, lines, cell.start))
            continue
        lines, found = _cut_regions(cell, nn, len(exercises) + 1, where)
        for ex in found:
            region_cell[ex.id] = index
        exercises += found
        for m in _CHECK.finditer("\n".join(cell.lines)):
            check_cell.setdefault(m.group("id"), index)
        kept.append(_Cell(cell.marker, lines, cell.start))
    for ex in exercises:
        if ex.id not in check_cell:
            raise LabSyntaxError(f"{where}:{ex.line}: exercise {ex.id} is never graded: add a cell "
                                 f'check_exercise("{ex.id}", your_function) after it')
        if check_cell[ex.id] <= region_cell[ex.id]:
            raise LabSyntaxError(f"{where}:{ex.line}: the check of exercise {ex.id} must be in a later cell")
        if ex.id not in CHECKS:
            raise LabSyntaxError(f"{where}:{ex.line}: exercise {ex.id} has no check in adlab.labs.checks.CHECKS")
    unknown = sorted(set(check_cell) - {ex.id for ex in exercises})
    if unknown:
        raise LabSyntaxError(f"{where}: check_exercise calls for exercises that do not exist: {unknown}")
    return _join(kept), exercises


def notebook_json(py_text: str) -> str:
    """The ``.ipynb`` text of a py:percent text: no outputs, cell ids from the cell contents."""
    import jupytext

    nb = jupytext.reads(py_text, fmt="py:percent")
    seen: dict[str, int] = {}
    for cell in nb.cells:
        digest = hashlib.sha1(f"{cell.cell_type}\n{cell.source}".encode()).hexdigest()[:8]
        seen[digest] = seen.get(digest, 0) + 1
        cell["id"] = digest if seen[digest] == 1 else f"{digest}-{seen[digest]}"
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    return jupytext.writes(nb, fmt="ipynb")


# --------------------------------------------------------------------------- build / check
def build_outputs(root: Path = ROOT) -> dict[str, str]:
    """Every generated file of every lab: ``{relative path: text}``."""
    outputs: dict[str, str] = {}
    for src in lab_sources(root):
        text = src.read_text(encoding="utf-8")
        exercise_text, _ = make_exercise(text, src.name)
        ipynb = src.with_suffix(".ipynb").name
        outputs[f"{SOLUTIONS}/{ipynb}"] = notebook_json(text)
        outputs[f"{EXERCISES}/{src.name}"] = exercise_text
        outputs[f"{EXERCISES}/{ipynb}"] = notebook_json(exercise_text)
    return outputs


MANIFEST = f"{EXERCISES}/GENERATED.sha256"


class EditedOutputError(ValueError):
    """``build`` would overwrite generated files that were edited by hand (``.paths`` lists them)."""

    def __init__(self, paths: list[str]):
        self.paths = paths
        super().__init__(
            "refusing to overwrite " + ", ".join(paths) + ": they differ from what `build` generated last time "
            "(edited by hand?). Keep your own answers in my_labs/ (`python -m adlab.labs start NN` copies a fresh "
            "exercise there); rerun with `--force` to back these files up under my_labs/backups/ and regenerate them.")


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _manifest_text(outputs: dict[str, str]) -> str:
    """``sha256  path`` (the format of ``sha256sum``) of every generated file, sorted by path."""
    return "".join(f"{_sha256(text.encode('utf-8'))}  {rel}\n" for rel, text in sorted(outputs.items()))


def read_manifest(root: Path = ROOT) -> dict[str, str]:
    """``{relative path: sha256}`` of the files the last ``build`` wrote (empty when there is no manifest)."""
    path = Path(root) / MANIFEST
    if not path.exists():
        return {}
    entries = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        digest, _, rel = line.partition("  ")
        if rel:
            entries[rel] = digest
    return entries


def edited_outputs(outputs: dict[str, str], root: Path = ROOT) -> list[str]:
    """Generated files under ``root`` that differ both from ``outputs`` and from what the last build wrote
    (by the manifest): somebody edited them, and regenerating them would lose that work."""
    previous = read_manifest(root)
    edited = []
    for rel, text in outputs.items():
        path = Path(root) / rel
        if rel == MANIFEST or not path.exists():
            continue
        data = path.read_bytes()
        if data != text.encode("utf-8") and _sha256(data) != previous.get(rel):
            edited.append(rel)
    return edited


def write_outputs(outputs: dict[str, str], out_root: Path, *, force: bool = False,
                  backup_dir: Path | None = None) -> list[Path]:
    """Write ``outputs`` under ``out_root``; return the files whose bytes changed.

    Never loses work: a file that differs from both its new text and the text the last build wrote
    (``exercises/GENERATED.sha256``) was edited by hand, and :class:`EditedOutputError` is raised
    before anything is written, unless ``force``; then each such file is first copied to
    ``backup_dir`` (default ``<out_root>/my_labs/backups/<UTC time>/``) under its relative path.
    """
    from datetime import datetime, timezone

    outputs = dict(outputs)
    outputs[MANIFEST] = _manifest_text({k: v for k, v in outputs.items() if k != MANIFEST})
    edited = edited_outputs(outputs, out_root)
    if edited and not force:
        raise EditedOutputError(edited)
    if edited:
        stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        backup_dir = Path(backup_dir) if backup_dir is not None else Path(out_root) / "my_labs" / "backups" / stamp
        for rel in edited:
            target = backup_dir / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(Path(out_root) / rel, target)
            print(f"backed up {rel} -> {target}")
    changed = []
    for rel, text in outputs.items():
        path = Path(out_root) / rel
        data = text.encode("utf-8")
        if path.exists() and path.read_bytes() == data:
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        changed.append(path)
    return changed


def stale_outputs(root: Path = ROOT) -> list[str]:
    """Why each generated file is not current (empty when all are), including orphans in
    ``exercises/`` that no solution generates any more. A file edited by hand is reported as such:
    ``build`` will not overwrite it (see :func:`write_outputs`)."""
    outputs = build_outputs(root)
    outputs[MANIFEST] = _manifest_text(outputs)
    edited = set(edited_outputs(outputs, root))
    problems = []
    for rel, text in outputs.items():
        path = Path(root) / rel
        if not path.exists():
            problems.append(f"{rel} is missing: run `python -m adlab.labs build`")
        elif rel in edited:
            problems.append(f"{rel} was edited by hand (it is generated from {SOLUTIONS}/): `build` will not "
                            "overwrite it. Learners: work on a copy in my_labs/ (`python -m adlab.labs start NN`); "
                            "instructors: edit the solution, then `python -m adlab.labs build --force` (backs it up)")
        elif path.read_bytes() != text.encode("utf-8"):
            source = "the solutions" if rel == MANIFEST else f"{SOLUTIONS}/{Path(rel).with_suffix('.py').name}"
            problems.append(f"{rel} is out of date with {source}: run `python -m adlab.labs build` "
                            "(it never overwrites a file edited by hand)")
    ex_dir = Path(root) / EXERCISES
    if ex_dir.is_dir():
        for path in sorted(ex_dir.glob("[0-9][0-9]_*")):
            rel = f"{EXERCISES}/{path.name}"
            if path.suffix in (".py", ".ipynb") and rel not in outputs:
                problems.append(f"{rel} has no solution any more: delete it")
    return problems


# --------------------------------------------------------------------------- grading
_DEFINITION_NODES = (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


def _is_definition(node: ast.stmt) -> bool:
    if isinstance(node, _DEFINITION_NODES):
        return True
    if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):       # docstring / bare string
        return True
    if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
        try:
            ast.literal_eval(node.value)
        except ValueError:
            return False
        return True
    return False


def lab_text(path: Path | str) -> str:
    """The py:percent text of a lab file: a ``.py`` as it is, a ``.ipynb`` converted by jupytext."""
    import jupytext

    path = Path(path)
    if path.suffix == ".ipynb":
        return jupytext.writes(jupytext.read(path), fmt="py:percent")
    if path.suffix == ".py":
        return path.read_text(encoding="utf-8")
    raise ValueError(f"a lab is a .py or .ipynb file, got {path.name!r}")


def definition_source(path: Path | str, text: str | None = None) -> str:
    """The definition cells of a lab (imports, defs, classes, constants), every other line blanked.

    Line numbers are those of the py:percent text, so a traceback through a learner's function
    points at the right line of their ``.py`` file and shows only that function.
    """
    text = lab_text(path) if text is None else text
    out: list[str] = []
    for cell in _split_cells(text):
        keep = False
        if cell.marker and not cell.is_markdown:
            body = "\n".join(cell.lines)
            try:
                tree = ast.parse(body)
            except SyntaxError:          # magics and the like: never a definition cell
                tree = None
            keep = bool(tree and tree.body and all(_is_definition(node) for node in tree.body))
        if cell.marker:
            out.append("")
        out.extend(cell.lines if keep else [""] * len(cell.lines))
    return "\n".join(out) + "\n"


def lab_namespace(path: Path | str) -> dict:
    """Execute a lab's definition cells (``.py`` or ``.ipynb``) and return the namespace (its functions by name)."""
    path = Path(path)
    text = lab_text(path)
    source = definition_source(path, text)
    filename = str(path)
    if path.suffix != ".py":                     # tracebacks show the py:percent text of the notebook
        filename = f"{path} [as py:percent]"
        linecache.cache[filename] = (len(text), None, text.splitlines(True), filename)
    namespace: dict = {"__name__": f"adlab_lab_{path.stem}", "__file__": str(path)}
    exec(compile(source, filename, "exec"), namespace)
    return namespace
