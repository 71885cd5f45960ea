"""The README: two set-up commands first, result tables generated from benchmarks/results."""
from pathlib import Path

from scripts import load_script

ROOT = Path(__file__).resolve().parents[1]


def _update_readme():
    return load_script("benchmarks/update_readme.py")


def test_readme_shows_the_demo_and_test_commands_first():
    text = (ROOT / "README.md").read_text()
    first_block = text.split("```")[1]
    assert "make demo" in first_block and "make test" in first_block


def test_ci_runs_the_readme_test_command():
    assert "make test" in (ROOT / ".ci" / "run").read_text()


def test_ci_builds_and_checks_the_book_after_the_tests():
    ci = (ROOT / ".ci" / "run").read_text()
    assert ci.index("make test") < ci.index("make book") < ci.index("make book-check")


def test_readme_and_results_page_tables_match_the_benchmark_outputs():
    mod = _update_readme()
    for name in mod.DOCUMENTS:
        text = (ROOT / name).read_text()
        assert "BEGIN INCLUDE benchmarks/results/" in text
        assert mod.render(text, ROOT, str(Path(name).parent)) == text, "run python benchmarks/update_readme.py"


def test_every_image_linked_from_a_results_document_exists():
    import re

    for name in _update_readme().DOCUMENTS:
        folder = (ROOT / name).parent
        for href in re.findall(r"!\[[^\]]*\]\(([^)]+)\)", (ROOT / name).read_text()):
            if "://" not in href:
                assert (folder / href).exists(), f"{name} links a missing image {href}"


def test_include_rendering_copies_the_file_between_markers(tmp_path):
    (tmp_path / "r.md").write_text("# Title\n| a |\n")
    doc = "x\n<!-- BEGIN INCLUDE r.md -->\nold\n<!-- END INCLUDE r.md -->\ny"
    out = _update_readme().render(doc, root=tmp_path)
    assert "old" not in out and "#### Title\n| a |\n<!-- END INCLUDE r.md -->" in out


def test_readme_links_every_notebook_and_lab_with_a_colab_url():
    from adlab.notebooks import repository_address

    addr = repository_address(ROOT)
    text = (ROOT / "README.md").read_text()
    for folder in ("notebooks", "exercises"):
        for py in sorted((ROOT / folder).glob("*.py")):
            assert f"({folder}/{py.name})" in text, f"README does not link {folder}/{py.name}"
            assert addr.colab_url(f"{folder}/{py.stem}.ipynb") in text


def test_included_reports_keep_working_image_links(tmp_path):
    mod = _update_readme()
    (tmp_path / "res").mkdir()
    (tmp_path / "res" / "r.md").write_text("# R\n![r-ranks](r-ranks.png) ![web](https://x.org/a.png)\n")
    doc = "<!-- BEGIN INCLUDE res/r.md -->\n<!-- END INCLUDE res/r.md -->\n"
    out = mod.render(doc, root=tmp_path)
    assert "![r-ranks](res/r-ranks.png)" in out and "![web](https://x.org/a.png)" in out
    assert "![r-ranks](../res/r-ranks.png)" in mod.render(doc, root=tmp_path, doc_dir="docs")
