"""Bearer-token authentication for the JSON API.

The API reads only ``Authorization: Bearer <token>``; a logged-in browser's cookie session is
never accepted, so the API needs no CSRF protection and a page cannot be tricked into
calling it with someone's cookies."""
from __future__ import annotations

from flask import g, request
from flask_login import AnonymousUserMixin

from .extensions import db
from .operations.tokens import authenticate


class Unauthorized(Exception):
    """No usable token; the API answers 401 with ``WWW-Authenticate: Bearer``."""

    def __init__(self, message: str, code: str = "unauthorized"):
        super().__init__(message)
        self.message = message
        self.code = code


def bearer_secret(header: str | None) -> str | None:
    """The token from an Authorization header value, or None when it is absent or garbled."""
    if not header:
        return None
    scheme, _, secret = header.strip().partition(" ")
    secret = secret.strip()
    if scheme.lower() != "bearer" or not secret or " " in secret:
        return None
    return secret


def api_user():
    """The user the request's bearer token belongs to; raises Unauthorized otherwise."""
    header = request.headers.get("Authorization")
    secret = bearer_secret(header)
    if secret is None:
        message = ("Authentication required: send 'Authorization: Bearer <token>'."
                   if not header else "The Authorization header is not 'Bearer <token>'.")
        raise Unauthorized(message)
    user = authenticate(db.session, secret)
    if user is None:
        raise Unauthorized("The token is unknown, revoked or expired, or its account is inactive.",
                           code="invalid_token")
    # authenticate() may have noted last_used_at: committed with the request (it is only a
    # hint, so a refused request does not note it)
    return user


def authenticate_request():
    """Authenticate the request by its bearer token alone and return the user.

    Flask-Login's current_user becomes the token's holder (or stays anonymous when this
    raises), so nothing in an API request ever falls back to a cookie session's user."""
    g._login_user = AnonymousUserMixin()
    user = api_user()
    g.api_user = g._login_user = user
    return user
