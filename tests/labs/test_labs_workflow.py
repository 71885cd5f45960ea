"""The learner's workflow never loses work: ``start`` copies an exercise into a git-ignored folder and never
overwrites it, ``grade`` grades a .py or .ipynb there, ``build`` refuses to overwrite a generated file that
was edited by hand (``--force`` backs it up first), and ``check`` says so instead of advising a build."""
import shutil
import subprocess
import sys

import jupytext
import pytest

from adlab.labs import build
from adlab.labs.__main__ import main as labs_main
from adlab.labs.build import EditedOutputError
from adlab.labs.learner import LEARNER_DIR, find_lab, grade_lab, start_lab

LAB = "02_similarity_weights_lab"


@pytest.fixture
def tree(tmp_path):
    """A repository tree with the solutions copied and everything built."""
    (tmp_path / "solutions").mkdir()
    for src in build.lab_sources():
        shutil.copy(src, tmp_path / "solutions" / src.name)
    build.write_outputs(build.build_outputs(tmp_path), tmp_path)
    return tmp_path


def test_the_learner_folder_is_ignored_by_git():
    ignored = (build.ROOT / ".gitignore").read_text().split()
    assert f"{LEARNER_DIR}/" in ignored


def test_help_exits_0_and_lists_the_learner_commands():
    out = subprocess.run([sys.executable, "-m", "adlab.labs", "--help"], capture_output=True, text=True)
    assert out.returncode == 0
    assert "start NN" in out.stdout and "grade PATH" in out.stdout and "--force" in out.stdout


@pytest.mark.parametrize("key", ["2", "02", LAB, f"{LAB}.py"])
def test_a_lab_is_found_by_number_or_name(key):
    assert find_lab(key).stem == LAB


def test_an_unknown_lab_is_refused_with_the_known_ones():
    with pytest.raises(ValueError, match="the labs are 01, 02"):
        find_lab("42")


@pytest.mark.parametrize("fmt", ["ipynb", "py"])
def test_start_copies_the_exercise_and_never_overwrites_the_copy(tree, fmt):
    copy = start_lab("2", fmt=fmt, root=tree)
    assert copy == tree / LEARNER_DIR / f"{LAB}.{fmt}"
    assert copy.read_bytes() == (tree / "exercises" / f"{LAB}.{fmt}").read_bytes()
    copy.write_text(copy.read_text() + "\n# my work\n")
    with pytest.raises(FileExistsError, match="holds your work"):
        start_lab("02", fmt=fmt, root=tree)
    assert copy.read_text().endswith("# my work\n")


def _answer(path, stub_hint_start: str, code: str):
    """Replace the stub whose message starts with ``stub_hint_start`` by ``code`` in a .py lab."""
    lines = path.read_text().split("\n")
    i = next(k for k, line in enumerate(lines) if f'raise NotImplementedError("Exercise {stub_hint_start}' in line)
    indent = lines[i][: len(lines[i]) - len(lines[i].lstrip())]
    lines[i:i + 1] = [indent + c for c in code.split("\n")]
    path.write_text("\n".join(lines))


def test_grade_reports_each_exercise_of_a_fresh_copy_as_not_attempted(tree):
    grades = grade_lab(start_lab("02", fmt="py", root=tree), root=tree)
    assert [(g.id, g.status) for g in grades] == [("02.1", "not attempted"), ("02.2", "not attempted")]
    assert grades[0].message.startswith("Exercise 02.1: ")


def test_grade_passes_the_solutions():
    grades = grade_lab(build.lab_path("solutions", f"{LAB}.py"))
    assert [g.status for g in grades] == ["passed", "passed"]


def test_grade_says_what_is_wrong_and_grades_a_notebook(tree):
    copy = start_lab("02", fmt="py", root=tree)
    _answer(copy, "02.1", "from adlab.components.prototypes import student_t_similarity as ref\n"
                          "return ref(z, prototypes, alpha, normalize).detach()")
    _answer(copy, "02.2", "return torch.sigmoid(beta * s_max) if not renormalize else "
                          "torch.sigmoid(beta * s_max) / torch.sigmoid(beta * s_max).mean()")
    notebook = copy.with_suffix(".ipynb")
    jupytext.write(jupytext.read(copy), notebook)
    for path in (copy, notebook):
        grades = {g.id: g for g in grade_lab(path, root=tree)}
        assert grades["02.1"].status == "wrong" and "no gradient" in grades["02.1"].message and "detach" in grades["02.1"].message
        assert grades["02.2"].status == "passed"


def test_a_bug_in_the_answer_is_reported_with_the_line_of_the_learner_file(tree):
    copy = start_lab("02", fmt="py", root=tree)
    _answer(copy, "02.1", "return z @ prototypes")
    line = next(k for k, text in enumerate(copy.read_text().split("\n"), start=1) if "return z @ prototypes" in text)
    grade = grade_lab(copy, root=tree)[0]
    assert grade.status == "error" and "RuntimeError" in grade.message
    assert f"line {line} of your file: return z @ prototypes" in grade.message


def test_a_file_that_does_not_load_is_an_error_for_every_exercise(tree):
    copy = start_lab("02", fmt="py", root=tree)
    copy.write_text(copy.read_text().replace("import torch\n", "import torch\nimport no_such_module\n", 1))
    assert {g.status for g in grade_lab(copy, root=tree)} == {"error"}


def test_the_grade_command_exits_1_until_everything_passes(tree, capsys):
    copy = start_lab("02", fmt="py", root=tree)
    assert labs_main(["grade", str(copy)]) == 1
    assert "0/2 passed" in capsys.readouterr().out
    assert labs_main(["grade", str(build.lab_path("solutions", f"{LAB}.py"))]) == 0


def test_build_refuses_to_overwrite_an_edited_exercise(tree):
    exercise = tree / "exercises" / f"{LAB}.py"
    exercise.write_text(exercise.read_text().replace('raise NotImplementedError("Exercise 02.1',
                                                     'return 1  # my answer\n    raise NotImplementedError("Exercise 02.1', 1))
    edited = exercise.read_bytes()
    with pytest.raises(EditedOutputError, match=f"exercises/{LAB}.py") as info:
        build.write_outputs(build.build_outputs(tree), tree)
    assert info.value.paths == [f"exercises/{LAB}.py"] and "--force" in str(info.value)
    assert exercise.read_bytes() == edited
    problems = build.stale_outputs(tree)
    assert len(problems) == 1 and "edited by hand" in problems[0] and "start" in problems[0]


def test_build_force_backs_the_edited_exercise_up_then_regenerates_it(tree):
    exercise = tree / "exercises" / f"{LAB}.py"
    generated = exercise.read_bytes()
    exercise.write_text("# my answers\n")
    build.write_outputs(build.build_outputs(tree), tree, force=True, backup_dir=tree / "bak")
    assert (tree / "bak" / "exercises" / f"{LAB}.py").read_text() == "# my answers\n"
    assert exercise.read_bytes() == generated
    assert build.stale_outputs(tree) == []


def test_build_force_backs_up_under_the_learner_folder_by_default(tree):
    (tree / "exercises" / f"{LAB}.py").write_text("# my answers\n")
    build.write_outputs(build.build_outputs(tree), tree, force=True)
    backups = list((tree / LEARNER_DIR / "backups").glob(f"*/exercises/{LAB}.py"))
    assert len(backups) == 1 and backups[0].read_text() == "# my answers\n"


def test_build_regenerates_an_untouched_exercise_after_its_solution_changed(tree):
    solution = tree / "solutions" / f"{LAB}.py"
    solution.write_text(solution.read_text() + "\n# %%\nprint('a new cell')\n")
    changed = build.write_outputs(build.build_outputs(tree), tree)
    assert tree / "exercises" / f"{LAB}.py" in changed
    assert "a new cell" in (tree / "exercises" / f"{LAB}.py").read_text()


def test_without_a_manifest_an_exercise_that_differs_counts_as_edited(tree):
    (tree / "exercises" / "GENERATED.sha256").unlink()
    (tree / "exercises" / f"{LAB}.py").write_text("# my answers\n")
    with pytest.raises(EditedOutputError):
        build.write_outputs(build.build_outputs(tree), tree)


def test_the_manifest_lists_every_generated_file():
    manifest = build.read_manifest()
    assert set(manifest) == set(build.build_outputs())


# --------------------------------------------------------------------------- predict, then run
@pytest.mark.parametrize("src", build.lab_sources(), ids=lambda p: p.name)
def test_every_lab_asks_to_predict_then_run_and_hides_the_answer_from_the_exercise(src):
    text = src.read_text()
    cells = text.split("\n# %%")
    asks = [i for i, c in enumerate(cells) if "**Predict, then run.**" in c]
    assert asks, f"{src.name} has no predict-then-run question"
    answers = [i for i, c in enumerate(cells) if c.startswith(' [markdown] tags=["solution"]') and "**Answer.**" in c]
    assert answers and all(any(a > q for a in answers) for q in asks)
    exercise, _ = build.make_exercise(text, src.name)
    assert "**Predict, then run.**" in exercise and "**Answer.**" not in exercise
