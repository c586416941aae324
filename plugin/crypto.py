"""Secrets at rest: Fernet keys derived from ``TANDEM_SECRET_KEY``.

Shared secrets, API tokens and OAuth tokens are stored encrypted through
:class:`EncryptedText`; a database dump alone never yields a usable secret.
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from flask import current_app
from sqlalchemy import Dialect, Text
from sqlalchemy.types import TypeDecorator


class SecretDecryptionError(RuntimeError):
    """The stored secret was encrypted with another ``TANDEM_SECRET_KEY``."""


def _fernet(secret_key: str, purpose: str) -> Fernet:
    digest = hashlib.sha256(f"tandem:{purpose}:{secret_key}".encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def current_secret_key() -> str:
    key = current_app.config.get("SECRET_KEY")
    if not key:
        raise RuntimeError("SECRET_KEY is not configured")
    return str(key)


def encrypt(plaintext: str, *, purpose: str = "secrets") -> str:
    return _fernet(current_secret_key(), purpose).encrypt(plaintext.encode()).decode()


def decrypt(token: str, *, purpose: str = "secrets") -> str:
    try:
        return _fernet(current_secret_key(), purpose).decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise SecretDecryptionError("stored secret cannot be decrypted with this key") from exc


class EncryptedText(TypeDecorator[str]):
    """A text column encrypted with the app's secret key (needs an app context)."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        return None if value is None else encrypt(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> str | None:
        return None if value is None else decrypt(str(value))
