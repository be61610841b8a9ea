"""Column types shared by the models."""

from __future__ import annotations

from sqlalchemy import BigInteger, DateTime, Integer, Text
from sqlalchemy.types import TypeDecorator

from engine.clock import as_utc

# SQLite only autoincrements INTEGER PRIMARY KEY; PostgreSQL gets a bigint
BigId = BigInteger().with_variant(Integer(), "sqlite")


class UTCDateTime(TypeDecorator):
    """Store aware datetimes as UTC and always read them back aware.

    SQLite keeps no offset, PostgreSQL does; both come back as aware UTC.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return None if value is None else as_utc(value)

    def process_result_value(self, value, dialect):
        return None if value is None else as_utc(value)


class EncryptedText(TypeDecorator):
    """Store a string encrypted with ``DATA_ENCRYPTION_KEY``; read it back in clear.

    Needs an app context (the key lives in its config). Encrypted values
    cannot be searched or compared in SQL: look rows up by another column.
    """

    impl = Text
    cache_ok = True

    def process_bind_param(self, value, dialect):
        from engine.encryption import encrypt

        return None if value is None else encrypt(value)

    def process_result_value(self, value, dialect):
        from engine.encryption import decrypt

        return None if value is None else decrypt(value)
