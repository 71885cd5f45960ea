"""One setting for the repository's address ([tool.adlab] in pyproject.toml); every course link follows it."""
import shutil
from pathlib import Path

import pytest

from adlab.labs.build import stale_outputs
from adlab.notebooks import (RepositoryAddress, address_files, address_problems, repository_address, retarget,
                             stale_notebooks)

ROOT = Path(__file__).resolve().parents[1]


def test_every_course_link_follows_the_setting_and_opens_an_existing_file():
    assert address_problems(ROOT) == []


def test_the_setting_reaches_badges_install_cells_and_readme():
    addr = repository_address(ROOT)
    readme = (ROOT / "README.md").read_text()
    assert addr.pages_url in readme.split("```")[2], "the book is the README's first link after the set-up commands"
    for py in sorted((ROOT / "notebooks").glob("*.py")):
        text = py.read_text()
        assert addr.colab_url(f"notebooks/{py.stem}.ipynb") in text, f"{py.name}: no Colab badge for itself"
        assert addr.pip_url in text, f"{py.name}: no Colab install cell from the configured repository"


def _copy_course(tmp_path: Path) -> Path:
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, tmp_path / name)
    for folder in ("docs", "notebooks", "solutions", "exercises"):
        shutil.copytree(ROOT / folder, tmp_path / folder)
    return tmp_path


def test_retarget_rewrites_every_derived_link_and_regenerates_the_notebooks(tmp_path):
    root = _copy_course(tmp_path)
    old = repository_address(root)
    changed = retarget("someone/course-fork", branch="spring-2027", root=root)
    new = repository_address(root)
    assert new == RepositoryAddress("someone", "course-fork", "spring-2027")
    assert changed and address_problems(root) == []
    for path in address_files(root):
        text = path.read_text()
        assert f"{old.slug}" not in text, f"{path.relative_to(root)} still names {old.slug}"
    lab = (root / "exercises" / "01_weak_split_lab.ipynb").read_text()
    assert new.colab_url("exercises/01_weak_split_lab.ipynb") in lab and new.pip_url in lab
    assert "someone.github.io/course-fork/" in (root / "README.md").read_text()
    # generated files are exactly what the generators give, and a second run changes nothing
    assert stale_notebooks(root) == [] and stale_outputs(root) == []
    assert retarget("someone/course-fork", root=root) == []


def test_a_link_to_another_repository_or_a_missing_notebook_is_reported(tmp_path):
    root = _copy_course(tmp_path)
    addr = repository_address(root)
    (root / "docs" / "extra.md").write_text(
        f"[a]({addr.colab_url('notebooks/99_missing.ipynb')})\n"
        "[b](https://colab.research.google.com/github/elsewhere/adlab/blob/main/notebooks/00_weak_supervision.ipynb)\n"
        "pip install git+https://github.com/elsewhere/adlab.git\n"
        "[c](https://github.com/elsewhere/adlab)\n")
    problems = "\n".join(address_problems(root))
    assert "99_missing.ipynb, which the repository does not have" in problems
    assert "elsewhere/adlab/blob/main/notebooks/00_weak_supervision.ipynb is not on" in problems
    assert "install URL git+https://github.com/elsewhere/adlab.git is not" in problems
    assert "GitHub link https://github.com/elsewhere/adlab is neither" in problems


@pytest.mark.parametrize("slug, branch", [("no-slash", "main"), ("a/b/c", "main"), ("owner/repo", "feature/x"),
                                          ("own er/repo", "main")])
def test_a_malformed_address_raises_a_value_error_naming_it(slug, branch):
    with pytest.raises(ValueError, match="repository"):
        RepositoryAddress.parse(slug, branch)
