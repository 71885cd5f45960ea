"""The course book's sources (book/build.py staging): pages, links and API reference, without Sphinx.

The build itself (`make book`) and the browser check (`make book-check`) run in CI after the tests.
"""
import json
from pathlib import Path

import pytest

from adlab.notebooks import RepositoryAddress, repository_address

from scripts import load_script

ROOT = Path(__file__).resolve().parents[1]


def _module(name):
    return load_script(f"book/{name}.py", f"book_{name}")


@pytest.fixture(scope="module")
def staged(tmp_path_factory):
    out = tmp_path_factory.mktemp("book-src")
    return _module("build").stage(ROOT, out)


def test_every_notebook_lab_and_document_is_staged_with_the_repository_layout(staged):
    for folder in ("notebooks", "solutions", "exercises"):
        for ipynb in (ROOT / folder).glob("*.ipynb"):
            assert (staged / folder / ipynb.name).exists()
            assert (staged / "_ipynb" / folder / ipynb.name).read_bytes() == ipynb.read_bytes()
    for doc in ("docs/RESULTS.md", "docs/INSTRUCTORS.md", "README.md", "index.md", "api/index.rst"):
        assert (staged / doc).exists(), doc
    for png in (ROOT / "benchmarks" / "results").glob("*.png"):
        assert (staged / "benchmarks" / "results" / png.name).exists()


def test_each_notebook_page_links_colab_download_and_source_from_the_setting(staged):
    addr = repository_address(ROOT)
    for rel in ("notebooks/06_unified_scoring_mnpwad.ipynb", "exercises/01_weak_split_lab.ipynb"):
        nb = json.loads((staged / rel).read_text())
        text = "".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")
        assert f"[Open in Colab]({addr.colab_url(rel)})" in text
        assert f"{{download}}`download .ipynb <../_ipynb/{rel}>`" in text
        assert "colab-badge.svg" not in text, "the site must not load the badge image from outside"
    exercise = json.loads((staged / "exercises/01_weak_split_lab.ipynb").read_text())
    first = "".join(exercise["cells"][0]["source"])
    assert "../solutions/01_weak_split_lab.ipynb" in first and "(exercise)\n" in first


def test_links_to_sources_become_pages_and_other_files_become_github_links():
    build = _module("build")
    addr = RepositoryAddress("o", "r", "b")
    pages = {"notebooks/00_x.ipynb", "docs/RESULTS.md", "README.md"}
    text = ("[nb](notebooks/00_x.py) [res](docs/RESULTS.md#main) [script](benchmarks/speed.py) "
            "![fig](benchmarks/results/a.png) [web](https://example.org/x.py) [top](#results)")
    out = build.rewrite_links(text, "README.md", pages, {"benchmarks/results/a.png"}, addr)
    assert "[nb](notebooks/00_x.ipynb)" in out and "[res](docs/RESULTS.md#main)" in out
    assert "[script](https://github.com/o/r/blob/b/benchmarks/speed.py)" in out
    assert "![fig](benchmarks/results/a.png)" in out
    assert "[web](https://example.org/x.py)" in out and "[top](#results)" in out
    up = build.rewrite_links("[readme](../README.md#results) [m](../Makefile)", "docs/RESULTS.md", pages, set(), addr)
    assert "[readme](../README.md#results)" in up and "[m](https://github.com/o/r/blob/b/Makefile)" in up


def test_landing_page_maps_every_notebook_and_both_pages_of_every_lab(staged):
    index = (staged / "index.md").read_text()
    for ipynb in (ROOT / "notebooks").glob("*.ipynb"):
        assert f"(notebooks/{ipynb.name})" in index and f"\nnotebooks/{ipynb.stem}\n" in index
    for ipynb in (ROOT / "solutions").glob("*.ipynb"):
        assert f"\nexercises/{ipynb.stem}\n" in index and f"\nsolutions/{ipynb.stem}\n" in index


def test_api_reference_covers_the_public_api_and_what_the_notebooks_import(staged):
    api = (staged / "api" / "index.rst").read_text()
    for name in ("adlab.models.mnpwad.MNPWAD", "adlab.models.rosas.RoSAS", "adlab.models.mmnet.MMNet",
                 "adlab.models.baselines.DevNet", "adlab.data.protocol.weak_split", "adlab.data.adbench.load_adbench",
                 "adlab.components.prototypes.student_t_similarity"):
        assert name in api, name
    assert ".. automodule:: adlab.models.mnpwad" in (staged / "api" / "adlab.models.mnpwad.rst").read_text()


def test_book_check_finds_broken_links_and_missing_colab_links(tmp_path):
    check = _module("check")
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "index.html").write_text('<a href="notebooks/00_weak_supervision.html#nowhere">x</a>'
                                         '<img src="missing.png">')
    (tmp_path / "notebooks" / "00_weak_supervision.html").write_text('<h1 id="top">t</h1>')
    problems = "\n".join(check.static_problems(tmp_path, ROOT))
    assert "missing anchor #nowhere" in problems
    assert "broken <img src='missing.png'>" in problems
    assert "notebooks/00_weak_supervision.html: no 'Open in Colab' link" in problems
    assert "no 'download .ipynb' link" in problems
