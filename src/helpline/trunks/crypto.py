"""Trunk passwords, encrypted at rest.

Users' passwords are hashed, but Helpline has to *answer* a carrier's digest challenge, which
needs the password itself (or an HA1 for the carrier's realm, which is not known before the
first challenge). So a trunk password is stored as a Fernet token (AES-128-CBC with an
HMAC-SHA256 tag, from ``cryptography``) under a key derived with HKDF-SHA256 from
``HELPLINE_SECRET_KEY``. A database dump alone does not reveal it.

Changing ``HELPLINE_SECRET_KEY`` makes the stored passwords unreadable: ``decrypt_password``
then answers None, and the admin enters the passwords again.
"""

from __future__ import annotations

import base64
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

# Binds the derived key to this one use: the same secret signs session cookies.
_KEY_INFO = b"helpline.trunks.password.v1"


@lru_cache(maxsize=4)
def _fernet(secret_key: str) -> Fernet:
    key = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=b"helpline-trunks", info=_KEY_INFO
    ).derive(secret_key.encode())
    return Fernet(base64.urlsafe_b64encode(key))


def encrypt_password(password: str, *, secret_key: str) -> str:
    return _fernet(secret_key).encrypt(password.encode()).decode("ascii")


def decrypt_password(token: str, *, secret_key: str) -> str | None:
    """The password, or None when the token was not made with this secret key."""
    try:
        return _fernet(secret_key).decrypt(token.encode("ascii")).decode()
    except (InvalidToken, ValueError):
        return None
