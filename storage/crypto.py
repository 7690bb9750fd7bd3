"""Encryption at rest of personal values (Fernet), so that the database file alone tells
nothing about anyone: names, phone numbers, form answers, notes, places, free texts.

The keys come from the settings (ENCRYPTION_KEYS, newest first). The first key encrypts;
every key decrypts, so `python -m bot rotate-key` can re-encrypt with a new key while the
old one still reads. Structured fields the figures need (type, status, dates, commune, QPV)
are not encrypted.

The audit trail's chain (storage.audit) is sealed with HMAC keys derived from the same keys,
one per key: it needs no secret of its own, and its key is never stored in the database.
"""

import base64
import json
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import Engine, Text, TypeDecorator
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import flag_modified
from sqlmodel import Session, select


class EncryptionKeyError(Exception):
    """No key, a malformed key, or a key that cannot read this database."""


class _Vault:
    fernet: MultiFernet | None = None
    audit_keys: tuple[bytes, ...] = ()


_VAULT = _Vault()
# HKDF's label for the audit trail's keys: what is derived under it is of no use to decrypt.
AUDIT_KEY_INFO = b"relais: audit trail HMAC-SHA256 key"


def use_keys(keys: list[str]) -> None:
    """Install the process's keys (newest first); refuses malformed ones."""
    given = [key.strip() for key in keys if key.strip()]
    try:
        _VAULT.fernet = MultiFernet([Fernet(key.encode()) for key in given])
    except (ValueError, TypeError):
        raise EncryptionKeyError(
            "ENCRYPTION_KEYS holds a malformed key (make one with: python -m bot new-key)"
        ) from None
    _VAULT.audit_keys = tuple(_derive_audit_key(key) for key in given)


def _derive_audit_key(key: str) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=AUDIT_KEY_INFO).derive(
        base64.urlsafe_b64decode(key)
    )


def audit_keys() -> tuple[bytes, ...]:
    """The audit trail's HMAC keys, one per encryption key and in the same order (newest
    first): derived when the keys are installed, kept in memory only."""
    if not _VAULT.audit_keys:
        raise EncryptionKeyError("ENCRYPTION_KEYS is not set")
    return _VAULT.audit_keys


def new_key() -> str:
    return Fernet.generate_key().decode()


def _fernet() -> MultiFernet:
    if _VAULT.fernet is None:
        # Never fall back to plaintext: a missing key is an error, not a weaker mode.
        raise EncryptionKeyError("ENCRYPTION_KEYS is not set")
    return _VAULT.fernet


def encrypt(value: str) -> str:
    return _fernet().encrypt(value.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        raise EncryptionKeyError(
            "ENCRYPTION_KEYS cannot read this database (wrong key?)"
        ) from None


class EncryptedText(TypeDecorator[str]):
    impl = Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        return None if value is None else encrypt(value)

    def process_result_value(self, value: str | None, dialect: Dialect) -> str | None:
        return None if value is None else decrypt(value)


class EncryptedJSON(TypeDecorator[Any]):
    impl = Text
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        return None if value is None else encrypt(json.dumps(value))

    def process_result_value(self, value: str | None, dialect: Dialect) -> Any:
        return None if value is None else json.loads(decrypt(value))


CANARY = "relais"


def check_keys(engine: Engine) -> None:
    """Refuse to run with keys that cannot read this database (one encrypted known value).

    Two processes starting on a new database (the bot and a dispatcher) may both write the
    known value: the second is refused by its primary key, and then reads the first's."""
    try:
        _check_canary(engine)
    except IntegrityError:
        _check_canary(engine)


def _check_canary(engine: Engine) -> None:
    from storage.models import KeyCheck

    with Session(engine) as session, session.begin():
        canary = session.get(KeyCheck, 1)
        if canary is None:
            session.add(KeyCheck(id=1, value=CANARY))
        elif canary.value != CANARY:
            raise EncryptionKeyError("ENCRYPTION_KEYS cannot read this database (wrong key?)")


def rotate(engine: Engine) -> int:
    """Re-encrypt every encrypted value with the newest key; returns how many rows."""
    from storage.models import encrypted_fields

    rewritten = 0
    with Session(engine) as session, session.begin():
        for model, fields in encrypted_fields().items():
            for row in session.exec(select(model)):
                for field in fields:
                    flag_modified(row, field)
                rewritten += 1
    return rewritten
