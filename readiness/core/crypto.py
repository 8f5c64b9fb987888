"""Secrets at rest (repository tokens, webhook secrets, endpoint headers), encrypted with MultiFernet.

Keys come from FIELD_ENCRYPTION_KEYS (comma-separated Fernet keys, newest first), separate from
SECRET_KEY. Rotating: put a new key first, run `manage.py rotate_encryption_keys`, then drop the
old key. With DEBUG and no keys configured, a key derived from SECRET_KEY keeps `make run` simple.
"""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


class DecryptionError(Exception):
    """A stored secret no configured key can read (a key was dropped too early)."""


def _keys() -> list[bytes]:
    keys = [k.encode() for k in settings.FIELD_ENCRYPTION_KEYS]
    if keys:
        return keys
    if settings.DEBUG:
        digest = hashlib.sha256(("readiness-field-key:" + settings.SECRET_KEY).encode()).digest()
        return [base64.urlsafe_b64encode(digest)]
    raise ImproperlyConfigured(
        "FIELD_ENCRYPTION_KEYS is not set: secrets cannot be stored. "
        "Generate one with: python -c "
        "'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'"
    )


def _fernet() -> MultiFernet:
    try:
        return MultiFernet([Fernet(key) for key in _keys()])
    except ValueError as exc:
        raise ImproperlyConfigured(f"FIELD_ENCRYPTION_KEYS holds an invalid Fernet key: {exc}") from None


def encrypt(plaintext: str) -> str:
    return _fernet().encrypt(plaintext.encode()).decode()


def decrypt(ciphertext: str) -> str:
    try:
        return _fernet().decrypt(ciphertext.encode()).decode()
    except InvalidToken:
        raise DecryptionError("a stored secret cannot be decrypted with the configured keys") from None


def rotate(ciphertext: str) -> str:
    """Re-encrypt with the newest key."""
    return _fernet().rotate(ciphertext.encode()).decode()
