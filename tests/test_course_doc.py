"""docs/COURSE.md: linked first in the README, every notebook and lab on the map, relative links that
resolve, and a notation row for each letter the three papers use differently."""
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
COURSE = ROOT / "docs" / "COURSE.md"


def test_the_readme_opens_with_the_course_book_then_the_course_map():
    """The set-up commands come first, then "Read the course" (the book), then the course map."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    links = re.findall(r"\]\(([^)#]+)", text)
    assert "github.io" in links[0], links[0]
    assert links[1] == "docs/COURSE.md"
    assert text.index("make test") < text.index("Read the course") < text.index("docs/COURSE.md")


def test_every_notebook_and_lab_is_on_the_map():
    text = COURSE.read_text(encoding="utf-8")
    for path in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.py")) + sorted((ROOT / "exercises").glob("[0-9][0-9]_*.py")):
        assert f"{path.parent.name}/{path.name}" in text, path.name


def test_relative_links_resolve():
    text = COURSE.read_text(encoding="utf-8")
    targets = [t for t in re.findall(r"\]\(([^)#]+)", text) if not t.startswith("http")]
    assert targets
    assert [t for t in targets if not (COURSE.parent / t).exists()] == []


def test_the_notation_table_separates_the_papers_letters():
    rows = {}
    for line in COURSE.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("| **") and len(cells) == 4:
            rows[cells[0].strip("*")] = cells[1:]
    assert {"α", "λ", "w", "k", "e"} <= set(rows)
    for letter in ("α", "λ", "w", "k", "e"):
        assert len(set(rows[letter])) == 3, f"{letter}: the three papers' meanings must differ"
