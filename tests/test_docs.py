"""The project explains itself: docs/ indexes every page once, names only what exists."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

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


def test_every_docs_page_has_one_row():
    index = (ROOT / "docs" / "README.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| \[[^]]+\]\(([^)]+)\)", index, flags=re.MULTILINE)
    assert len(rows) == len(set(rows)), sorted(r for r in rows if rows.count(r) > 1)


# top-level folders a docs page may name a file or folder in
TREE = ("engine/", "games/", "tags/", "static/", "templates/", "migrations/", "tests/",
        "bench/", "docs/", "translations/")


def _named(text: str) -> set[str]:
    return {name for name in re.findall(r"`([^`\s]+)`", text)}


def _defines(module: Path, name: str) -> bool:
    source = module.read_text(encoding="utf-8")
    return bool(re.search(rf"^\s*(async def|def|class) {name}\b|^{name}\s*[:=]", source,
                          flags=re.MULTILINE))


def _module_file(dotted: str) -> Path | None:
    path = ROOT.joinpath(*dotted.split("."))
    for candidate in (path.with_suffix(".py"), path / "__init__.py"):
        if candidate.exists():
            return candidate
    return None


@pytest.mark.parametrize("page", sorted((ROOT / "docs").glob("*.md")) + [ROOT / "README.md"],
                         ids=lambda p: p.name)
def test_the_paths_and_modules_a_page_names_exist(page):
    missing = []
    for name in _named(page.read_text(encoding="utf-8")):
        if "<" in name:  # a placeholder: games/<type>/
            continue
        if name.startswith(TREE):
            if not any(ROOT.glob(name.rstrip("/"))):  # a glob may stand for a versioned file
                missing.append(name)
        elif re.fullmatch(r"(engine|games|tags|bench)(\.[a-z_][a-z0-9_]*)+", name) and not (
                name.endswith(".md")):
            if _module_file(name) is None:
                module, _, attr = name.rpartition(".")
                found = _module_file(module)
                if found is None or not _defines(found, attr):
                    missing.append(name)
    assert not missing, f"{page.name} names what the tree does not have: {sorted(missing)}"
