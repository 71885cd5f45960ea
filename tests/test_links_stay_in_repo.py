"""No learner-facing file points outside the repository (``../shared/...`` does not exist in a published
copy): papers are cited by their public address, the reference notes by ``docs/references/``."""
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LEARNER_FACING = ["README.md", "docs/**/*.md", "notebooks/*.py", "notebooks/*.ipynb", "solutions/*.py",
                  "solutions/*.ipynb", "exercises/*.py", "exercises/*.ipynb", "adlab/**/*.py"]
# ../shared/anything, or the shared folder's notes, papers and design map named without the ../
OUTSIDE = re.compile(r"\.\./shared\b|\bshared/(notes|papers|data)/|\bDESIGN(\.md| §)|\b[a-z]+-reference\.md")


def learner_files():
    files = sorted({p for pattern in LEARNER_FACING for p in ROOT.glob(pattern)})
    assert len(files) > 40, "the glob patterns no longer match the repository layout"
    return files


def offending_lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if OUTSIDE.search(line)]


@pytest.mark.parametrize("bad", ["see `../shared/papers/mnpwad.txt`", "(``shared/notes/mmnet-reference.md``)",
                                 "cf. ``rosas-reference.md`` §3", "[design](../shared/DESIGN.md)",
                                 "the detector contract (DESIGN §3)"])
def test_the_pattern_catches_links_outside_the_repository(bad):
    assert offending_lines(bad) == [bad]


@pytest.mark.parametrize("good", ["[docs/references/mnpwad.md](../docs/references/mnpwad.md) §1.3",
                                  "[arXiv:2408.14498](https://arxiv.org/abs/2408.14498)",
                                  "a shared plumbing helper", "weights shared by both inputs"])
def test_the_pattern_leaves_in_repository_links_alone(good):
    assert offending_lines(good) == []


def test_no_learner_facing_file_links_to_shared():
    found = {str(p.relative_to(ROOT)): offending_lines(p.read_text(encoding="utf-8")) for p in learner_files()}
    assert {k: v for k, v in found.items() if v} == {}


def test_every_reference_page_the_repository_cites_exists():
    cited = set()
    for p in learner_files():
        cited |= set(re.findall(r"docs/references/([\w-]+\.md)", p.read_text(encoding="utf-8")))
    assert cited, "nothing cites docs/references/ any more"
    assert sorted(c for c in cited if not (ROOT / "docs" / "references" / c).exists()) == []
