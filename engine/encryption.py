"""Encrypt secrets and personal data at rest with rotatable keys (MultiFernet).

``DATA_ENCRYPTION_KEY`` holds one or more Fernet keys separated by commas:
the first encrypts, every one decrypts, so a new key is put first, the data
re-encrypted (``flask encryption reencrypt``), and the old key dropped
afterwards. Production refuses to start without it (``engine.config``);
development and tests derive a key from ``SECRET_KEY``.

Columns of type ``engine.models.types.EncryptedText`` are encrypted on write
and decrypted on read transparently; nothing else sees ciphertext.
"""

from __future__ import annotations

import base64
import hashlib
import logging
from collections.abc import Callable

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from flask import current_app
from sqlalchemy import Text, column, select, table, update

log = logging.getLogger(__name__)
_EXTENSION = "hudong_encryption"


class DecryptionFailed(RuntimeError):
    """A stored value cannot be decrypted with any configured key."""


def derived_key(secret_key: str) -> str:
    """Return a Fernet key derived from ``secret_key`` (development and tests only)."""
    digest = hashlib.sha256(b"hudong-data-encryption:" + secret_key.encode()).digest()
    return base64.urlsafe_b64encode(digest).decode()


def parse_keys(raw: str) -> list[str]:
    """Return the keys in a comma-separated ``raw``; raise ``ValueError`` if one is malformed."""
    keys = [part.strip() for part in raw.split(",") if part.strip()]
    for position, key in enumerate(keys, 1):
        try:
            Fernet(key)
        except (ValueError, TypeError) as exc:
            raise ValueError(f"DATA_ENCRYPTION_KEY: key {position} is not a Fernet key "
                             "(32 url-safe base64-encoded bytes)") from exc
    return keys


def _keys() -> tuple[str, ...]:
    cfg = current_app.config
    return tuple(cfg.get("DATA_ENCRYPTION_KEYS") or [derived_key(cfg["SECRET_KEY"])])


def cipher() -> MultiFernet:
    """Return the app's MultiFernet (first key encrypts, all decrypt)."""
    keys = _keys()
    cached = current_app.extensions.get(_EXTENSION)
    if cached is None or cached[0] != keys:
        cached = (keys, MultiFernet([Fernet(key) for key in keys]))
        current_app.extensions[_EXTENSION] = cached
    return cached[1]


def encrypt(plaintext: str) -> str:
    """Return ``plaintext`` encrypted with the first key (a url-safe token)."""
    return cipher().encrypt(plaintext.encode()).decode()


def decrypt(token: str) -> str:
    """Return the plaintext of ``token``; raise ``DecryptionFailed`` if no key opens it."""
    try:
        return cipher().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise DecryptionFailed("stored value cannot be decrypted with DATA_ENCRYPTION_KEY "
                               "(was a key dropped before `flask encryption reencrypt`?)") from exc


def _encrypted_columns(metadata) -> list[tuple[str, str, list[str]]]:
    """Return (table, primary key, encrypted columns) for every table that has some."""
    from engine.models.types import EncryptedText

    found = []
    for tbl in metadata.sorted_tables:
        names = [c.name for c in tbl.columns if isinstance(c.type, EncryptedText)]
        if names:
            found.append((tbl.name, tbl.primary_key.columns.values()[0].name, names))
    return found


def reencrypt_all(session, metadata, batch: int = 500,
                  progress: Callable[[str, int], None] | None = None) -> int:
    """Re-encrypt every encrypted value with the first key; return how many changed.

    Reads the ciphertext without the column type (so nothing is decrypted in
    between), rotates each value and commits per batch: an interrupted run can
    simply be started again.
    """
    fernet, total = cipher(), 0
    for name, pk, names in _encrypted_columns(metadata):
        raw = table(name, column(pk), *(column(n, Text) for n in names))
        last, done = None, 0
        while True:
            query = select(raw).order_by(raw.c[pk]).limit(batch)
            if last is not None:
                query = query.where(raw.c[pk] > last)
            rows = session.execute(query).all()
            if not rows:
                break
            for row in rows:
                values = {n: fernet.rotate(getattr(row, n).encode()).decode()
                          for n in names if getattr(row, n)}
                if values:
                    session.execute(update(raw).where(raw.c[pk] == getattr(row, pk))
                                    .values(**values))
                    done += len(values)
            session.commit()
            last = getattr(rows[-1], pk)
            if progress:
                progress(name, done)
        total += done
    return total
