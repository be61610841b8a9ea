"""Imports point one way: games <- engine <- tags; pages and CLI are imported by no service.

Read with ``ast`` from the source files, so a lazy import inside a function
counts as much as one at the top. The direction is written in
docs/architecture.md.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# the only engine modules that assemble the app and may reach tags/ or every entry point
ASSEMBLY = {"engine/__init__.py", "engine/routes.py"}
# entry points that only call services (the API layer's schemas are shared with live push)
ENTRY_POINTS = ("engine.web", "engine.cli")


def _sources(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> set[str]:
    """Return every absolute module name ``path`` imports (relative imports resolved)."""
    found, package = set(), _module_name(path)
    if path.name != "__init__.py":
        package = package.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def _reaches(names: set[str], prefix: str) -> bool:
    return any(name == prefix or name.startswith(prefix + ".") for name in names)


def _rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def test_the_reader_sees_imports_of_every_kind():
    names = imports_of(ROOT / "engine" / "routes.py")
    assert "engine.api.garden" in names and "engine.boards.live" in names
    assert imports_of(ROOT / "tests" / "test_architecture.py") >= {"ast", "pathlib.Path"}


@pytest.mark.parametrize("path", _sources("games"), ids=_rel)
def test_games_import_nothing_of_engine_or_tags(path):
    names = imports_of(path)
    assert not _reaches(names, "engine") and not _reaches(names, "tags"), _rel(path)


@pytest.mark.parametrize("path", _sources("engine"), ids=_rel)
def test_engine_reaches_tags_only_where_the_app_is_assembled(path):
    if _rel(path) in ASSEMBLY:
        return
    assert not _reaches(imports_of(path), "tags"), _rel(path)


@pytest.mark.parametrize("path", [p for p in _sources("engine") + _sources("tags")
                                  if not _module_name(p).startswith(ENTRY_POINTS)
                                  and _rel(p) not in ASSEMBLY], ids=_rel)
def test_no_service_imports_an_entry_point(path):
    names = imports_of(path)
    wrong = [prefix for prefix in ENTRY_POINTS if _reaches(names, prefix)]
    assert not wrong, f"{_rel(path)} imports {wrong}"


@pytest.mark.parametrize("package", sorted(p.parent for p in ROOT.glob("engine/*/__init__.py")),
                         ids=lambda p: p.name)
def test_every_engine_package_says_what_it_holds(package):
    doc = ast.get_docstring(ast.parse((package / "__init__.py").read_text(encoding="utf-8")))
    assert doc and doc.splitlines()[0].strip(), f"engine/{package.name} has no docstring"
