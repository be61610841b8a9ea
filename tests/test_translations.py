"""The committed catalogs are current, and `make setup` leaves them as committed."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
CATALOGS = sorted((ROOT / "translations").glob("*/LC_MESSAGES/messages.po"))


@pytest.mark.parametrize("po", CATALOGS, ids=lambda p: p.parts[-3])
def test_each_committed_mo_is_its_po_compiled(po):
    with po.open("rb") as source:
        catalog = read_po(source, locale=po.parts[-3])
    compiled = io.BytesIO()
    write_mo(compiled, catalog, use_fuzzy=False)  # as `pybabel compile` does
    assert compiled.getvalue() == po.with_suffix(".mo").read_bytes(), (
        f"{po.relative_to(ROOT)} changed: run `make translations` and commit the .mo")


def _make_dry_run(tree: Path) -> str:
    """Return what `make translations` would run in ``tree`` (NODE set: no probing)."""
    done = subprocess.run(["make", "-n", "translations", "NODE=node"], cwd=tree,
                          capture_output=True, text=True, timeout=30, check=True)
    return done.stdout


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_setup_compiles_a_catalog_only_when_its_po_is_newer(tmp_path):
    shutil.copy(ROOT / "Makefile", tmp_path)
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    shutil.copytree(ROOT / "translations", tmp_path / "translations")
    installed = tmp_path / ".venv" / "bin" / ".installed"
    installed.parent.mkdir(parents=True)
    installed.touch()
    po = tmp_path / "translations" / "zh" / "LC_MESSAGES" / "messages.po"
    mo = po.with_suffix(".mo")
    now = os.stat(installed).st_mtime
    os.utime(tmp_path / "pyproject.toml", (now - 60, now - 60))  # the venv is current
    os.utime(po, (now - 30, now - 30))
    os.utime(mo, (now - 20, now - 20))
    assert "pybabel" not in _make_dry_run(tmp_path)  # current: a clean tree stays clean
    os.utime(po, (now - 10, now - 10))  # the catalog was edited
    assert "pybabel compile" in _make_dry_run(tmp_path)
    assert str(mo.relative_to(tmp_path)) in _make_dry_run(tmp_path)
