"""The project explains itself: docs/ has an index of every page, the README links it."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_every_docs_page_is_in_the_index():
    index = (ROOT / "docs" / "README.md").read_text(encoding="utf-8")
    pages = sorted(p.name for p in (ROOT / "docs").glob("*.md") if p.name != "README.md")
    assert {"architecture.md", "api.md"} <= set(pages)
    assert [p for p in pages if f"]({p})" not in index] == []


def test_the_readme_links_docs_and_nothing_outside_the_project():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "(docs/architecture.md)" in readme and "(docs/api.md)" in readme
    for page in [ROOT / "README.md", *(ROOT / "docs").glob("*.md")]:
        assert "../shared" not in page.read_text(encoding="utf-8"), page.name
