"""Every notebook's .ipynb is generated from its py:percent source and carries no outputs."""
import pytest

from adlab.notebooks import notebook_problem, paired_sources

SOURCES = paired_sources()


def test_there_are_notebooks_to_check():
    assert any(p.parent.name == "notebooks" for p in SOURCES)


@pytest.mark.parametrize("py", SOURCES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_ipynb_is_current_with_its_py_source(py):
    assert notebook_problem(py) is None, notebook_problem(py)


def test_a_stale_notebook_is_detected(tmp_path):
    import jupytext

    (tmp_path / "notebooks").mkdir()
    py = tmp_path / "notebooks" / "99_x.py"
    py.write_text("# %%\nx = 1\n")
    jupytext.write(jupytext.read(py), py.with_suffix(".ipynb"), fmt="ipynb")
    assert notebook_problem(py) is None
    py.write_text("# %%\nx = 2\n")
    assert "differs" in notebook_problem(py)
