"""Coupon codes: generated from an unambiguous alphabet, or imported from CSV."""

from __future__ import annotations

import csv
import io
import re
import secrets
from dataclasses import dataclass, field

# no 0/O, 1/I/L: a cashier reads codes aloud and types them by hand
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
GENERATED_LENGTH = 12  # 31^12 ≈ 7.9e17: guessing a live code is hopeless
_IMPORTED = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{3,39}$")
MAX_IMPORT_ROWS = 100_000
# a first row that names the column instead of holding a code
HEADERS = {"code", "codes", "coupon_code", "券码", "优惠码", "兑换码", "券号", "code码"}


def generate_code(length: int = GENERATED_LENGTH) -> str:
    """Return a random code from the unambiguous alphabet."""
    return "".join(secrets.choice(ALPHABET) for _ in range(length))


def generate_codes(count: int) -> list[str]:
    """Return ``count`` distinct random codes."""
    codes: set[str] = set()
    while len(codes) < count:
        codes.add(generate_code())
    return list(codes)


def is_importable(code: str) -> bool:
    """Return whether ``code`` has the characters and length an imported code may have."""
    return bool(_IMPORTED.match(code))


def normalize(code: str) -> str:
    """Return a code as stored: without whitespace (imported codes keep their case)."""
    return re.sub(r"\s+", "", code or "")


@dataclass
class ImportReport:
    """What an import accepted and, row by row, what it refused and why."""

    accepted: list[str] = field(default_factory=list)
    rejected: list[dict] = field(default_factory=list)


def parse_code_csv(text: str, taken: set[str] | None = None) -> ImportReport:
    """Check each row's first column (a header row ``code`` is skipped)."""
    report, seen = ImportReport(), set()
    taken = taken or set()
    for row_no, row in enumerate(csv.reader(io.StringIO(text)), start=1):
        raw = (row[0] if row else "").lstrip("\ufeff")
        code = normalize(raw)
        if row_no == 1 and code.lower() in HEADERS:
            continue
        reason = _refusal(code, seen, taken, row_no)
        if reason:
            report.rejected.append({"row": row_no, "code": raw[:60], "reason": reason})
            continue
        seen.add(code)
        report.accepted.append(code)
    return report


def _refusal(code: str, seen: set[str], taken: set[str], row_no: int) -> str | None:
    if row_no > MAX_IMPORT_ROWS:
        return "too_many_rows"
    if not code:
        return "empty"
    if not is_importable(code):
        return "invalid_characters_or_length"
    if code in seen:
        return "duplicate_in_file"
    if code in taken:
        return "already_exists"
    return None
