"""Exercises are generated from solutions: the rules of the markup, and no drift in the repository."""
import ast
import os
import shutil

import nbformat
import pytest

from adlab.labs import build
from adlab.labs.__main__ import main as labs_main
from adlab.labs.build import LabSyntaxError, make_exercise

LABS = build.lab_sources()
EXPECTED_LABS = ["01_weak_split_lab.py", "02_similarity_weights_lab.py", "03_dec_clustering_lab.py",
                 "04_contrastive_step_lab.py", "05_mass_interpolation_lab.py", "06_memory_addressing_lab.py"]

# Grading a learner's copy (ADLAB_LAB_TARGET=exercises): exercises/ holds their answers, not generated files.
skip_when_grading = pytest.mark.skipif(os.environ.get("ADLAB_LAB_TARGET") == "exercises",
                                       reason="grading a learner's exercises/: drift checks do not apply")

HEADER = "# ---\n# jupyter:\n#   kernelspec:\n#     display_name: Python 3\n#     language: python\n#     name: python3\n# ---\n\n"


def lab_text(*cells: str) -> str:
    return HEADER + "\n\n".join(cells) + "\n"


SIMPLE = lab_text(
    "# %% [markdown]\n# [badge](https://colab.research.google.com/github/o/r/blob/main/solutions/02_toy_lab.ipynb)",
    "# %%\nimport torch\n\ndef f(x):\n    \"\"\"Doc.\"\"\"\n    y = 1\n    ### BEGIN SOLUTION\n    ### HINT: add y\n"
    "    ### HINT: then return\n    return x + y\n    ### END SOLUTION",
    "# %%\ncheck_exercise(\"02.1\", f)",
    "# %% tags=[\"solution\"]\nprint('the answer is', f(1))",
    "# %% [markdown] tags=[\"solution\"]\n# Answer: 42",
    "# %%\ndef g():\n    if True:\n        ### BEGIN SOLUTION\n        ### HINT: say \"hi\"\n        return 'hi'\n"
    "        ### END SOLUTION",
    "# %%\ncheck_exercise('02.2', g)",
)


def test_the_six_labs_exist():
    assert [p.name for p in LABS] == EXPECTED_LABS


def test_a_region_becomes_a_stub_indented_like_its_marker():
    text, exercises = make_exercise(SIMPLE, "02_toy_lab.py")
    assert [e.id for e in exercises] == ["02.1", "02.2"]
    assert exercises[0].hint == "add y then return"
    assert '    raise NotImplementedError("Exercise 02.1: add y then return")' in text
    assert "        raise NotImplementedError('Exercise 02.2: say \"hi\"')" in text
    assert "    y = 1\n    # YOUR CODE HERE (exercise 02.1)\n" in text      # code before the region stays
    assert "return x + y" not in text and "BEGIN SOLUTION" not in text and "HINT" not in text
    ast.parse(text)


def test_cells_tagged_solution_are_dropped_and_links_point_to_exercises():
    text, _ = make_exercise(SIMPLE, "02_toy_lab.py")
    assert "the answer is" not in text and "Answer: 42" not in text
    assert "blob/main/exercises/02_toy_lab.ipynb" in text and "solutions/" not in text
    assert text.startswith(HEADER)


def test_a_stub_raises_its_hint_when_executed():
    text, _ = make_exercise(SIMPLE, "02_toy_lab.py")
    ns = {"check_exercise": lambda *a: None}
    code = next(c for c in text.split("# %%\n") if "def f" in c)
    exec(code, ns)
    with pytest.raises(NotImplementedError, match=r"^Exercise 02\.1: add y then return$"):
        ns["f"](1)


@pytest.mark.parametrize("broken, message", [
    (SIMPLE.replace("    return x + y\n    ### END SOLUTION", "    return x + y"), "not closed"),
    (SIMPLE.replace("    ### HINT: add y\n    ### HINT: then return\n", ""), "no '### HINT"),
    (SIMPLE.replace("    return x + y\n", "    ### BEGIN SOLUTION\n"), "inside the region"),
    (SIMPLE.replace("def f(x):", "### END SOLUTION\ndef f(x):"), "without a BEGIN"),
    (SIMPLE.replace("    return x + y\n    ### END SOLUTION", "    return x + y\n  ### END SOLUTION"), "indented like"),
    (SIMPLE.replace('check_exercise("02.1", f)', "f(1)"), "never graded"),
    (SIMPLE.replace("check_exercise('02.2', g)", "check_exercise('02.2', g)\ncheck_exercise('02.7', g)"),
     "do not exist"),
    (SIMPLE.replace("print('the answer is', f(1))", "### BEGIN SOLUTION\n### HINT: x\n### END SOLUTION"),
     "dropped whole"),
    (SIMPLE.replace("# Answer: 42", "# Answer: 42").replace("# %% [markdown]\n# [badge]",
                                                          "# %% [markdown]\n### BEGIN SOLUTION\n# [badge]"),
     "code cells"),
    (SIMPLE.replace("        return 'hi'\n", "        ### HINT: x\n        return 'hi'\n").replace(
        "def g():", "### HINT: stray\ndef g():"), "outside a solution region"),
])
def test_bad_markup_is_refused_with_its_line(broken, message):
    with pytest.raises(LabSyntaxError, match=message):
        make_exercise(broken, "02_toy_lab.py")


def test_a_check_before_its_exercise_is_refused():
    text = lab_text("# %%\ncheck_exercise('02.1', f)", "# %%\ndef f():\n    ### BEGIN SOLUTION\n    ### HINT: h\n"
                    "    return 1\n    ### END SOLUTION")
    with pytest.raises(LabSyntaxError, match="later cell"):
        make_exercise(text, "02_toy_lab.py")


def test_an_exercise_without_a_registered_check_is_refused():
    text = SIMPLE.replace("02.", "42.")
    with pytest.raises(LabSyntaxError, match="no check in adlab.labs.checks"):
        make_exercise(text, "42_toy_lab.py")


def test_lab_files_must_be_numbered():
    with pytest.raises(ValueError, match="NN_topic_lab.py"):
        make_exercise(SIMPLE, "toy_lab.py")


def test_the_notebook_is_deterministic_without_outputs_and_with_a_kernel():
    text, _ = make_exercise(SIMPLE, "02_toy_lab.py")
    first, second = build.notebook_json(text), build.notebook_json(text)
    assert first == second
    nb = nbformat.reads(first, as_version=4)
    nbformat.validate(nb)
    assert nb.metadata["kernelspec"]["name"] == "python3"
    assert all(c.outputs == [] and c.execution_count is None for c in nb.cells if c.cell_type == "code")
    assert len({c.id for c in nb.cells}) == len(nb.cells)


@skip_when_grading
def test_regenerating_into_a_fresh_tree_matches_the_committed_files(tmp_path):
    """The drift test: build from a copy of solutions/*.py alone and compare byte for byte."""
    (tmp_path / "solutions").mkdir()
    for src in LABS:
        shutil.copy(src, tmp_path / "solutions" / src.name)
    written = build.write_outputs(build.build_outputs(tmp_path), tmp_path)
    assert len(written) == 3 * len(LABS) + 1                       # + exercises/GENERATED.sha256
    for path in written:
        committed = build.ROOT / path.relative_to(tmp_path)
        assert committed.exists(), f"{committed} is missing: run `python -m adlab.labs build`"
        assert committed.read_bytes() == path.read_bytes(), \
            f"{committed.relative_to(build.ROOT)} is out of date: run `python -m adlab.labs build`"
    assert build.stale_outputs(tmp_path) == []
    assert build.write_outputs(build.build_outputs(tmp_path), tmp_path) == []     # a second build changes nothing


@skip_when_grading
def test_the_repository_is_current():
    assert build.stale_outputs() == []
    assert labs_main(["check"]) == 0


def test_an_edited_solution_or_an_orphan_is_detected(tmp_path):
    (tmp_path / "solutions").mkdir()
    src = LABS[0]
    shutil.copy(src, tmp_path / "solutions" / src.name)
    build.write_outputs(build.build_outputs(tmp_path), tmp_path)
    sol = tmp_path / "solutions" / src.name
    sol.write_text(sol.read_text() + "\n# %%\nprint('new cell')\n")
    problems = build.stale_outputs(tmp_path)
    assert len(problems) == 4 and all("out of date" in p for p in problems)       # 3 files + the manifest
    (tmp_path / "exercises" / "99_gone_lab.py").write_text("x = 1\n")
    assert any("99_gone_lab.py has no solution" in p for p in build.stale_outputs(tmp_path))


@skip_when_grading
def test_generated_notebooks_pass_the_repository_notebook_check():
    from adlab.notebooks import notebook_problem

    for src in LABS:
        for target in ("solutions", "exercises"):
            assert notebook_problem(build.lab_path(target, src.name)) is None
