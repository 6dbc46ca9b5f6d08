"""Secrets of single-use account links (password reset, activation letters).

Only SHA-256 hashes are stored (``AccountLink.token_hash``, ``code_hash``). An activation
letter is built in the request that creates its secrets, so they are random and never
stored. A reset link is e-mailed through the outbox, which may send it minutes later from
another process: its token is therefore derived from the notice that carries it,
``HMAC-SHA256(SECRET_KEY, "password-reset:<notice id>")``, and recomputed by the sender. The
database alone (a backup, a read-only leak) gives neither; rotating SECRET_KEY voids the
links still waiting, which expire within the hour anyway."""
from __future__ import annotations

import hashlib
import hmac
import secrets

# no 0/O, 1/I/L: a code is typed from a printed letter
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 10


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def reset_token(secret_key: str, notice_id: int) -> str:
    """The token of the reset link carried by notice ``notice_id``."""
    mac = hmac.new(str(secret_key).encode("utf-8"), f"password-reset:{notice_id}".encode(),
                   hashlib.sha256)
    return mac.hexdigest()


def new_token() -> str:
    return secrets.token_urlsafe(32)


def new_code() -> str:
    """An activation code such as 'K7M4P-Q2XRA' (about 49 bits; the form is throttled)."""
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    return f"{raw[:5]}-{raw[5:]}"


def normal_code(typed: str) -> str:
    """A typed code as hashed: capitals, without the spaces and dashes people add."""
    return "".join(ch for ch in (typed or "").upper() if ch.isascii() and ch.isalnum())


def code_digest(code: str) -> str:
    return digest(normal_code(code))
