"""Personal API tokens: created with a secret shown once, stored only as a hash, revocable."""
from __future__ import annotations

from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload

from .. import audit
from ..models import ApiToken, User
from ..models.types import utcnow
from ..models.users import TOKEN_PREFIX, hash_token
from . import Invalid, NotAllowed

# last_used_at is a hint for people, not a log: one write a minute at most per token
TOUCH_INTERVAL = timedelta(minutes=1)
MAX_NAME = 100
MAX_SECRET = 200
# the token, its account and the account's unit in one query: every API request
# authenticates, and most then check the unit. Built once: SQLAlchemy keeps its cache key
# and compiled form (building and keying it per request was a third of its cost)
_BY_HASH = (select(ApiToken).options(joinedload(ApiToken.user).joinedload(User.unit))
            .where(ApiToken.token_hash == bindparam("token_hash")))


def create_token(session, user: User, name: str,
                 expires_at: datetime | None = None) -> tuple[ApiToken, str]:
    """A new token for ``user``; returns it with its secret, which is never stored."""
    name = (name or "").strip()
    if not name:
        raise Invalid(_("A token needs a name."), details={"name": "required"})
    if len(name) > MAX_NAME:
        raise Invalid(_("A token name has at most %(num)d characters.", num=MAX_NAME),
                      details={"name": "too long"})
    if expires_at is not None and expires_at <= utcnow():
        raise Invalid(_("The expiry must be in the future."), details={"expires_at": "in the past"})
    secret = ApiToken.new_secret()
    token = ApiToken(user_id=user.id, name=name, token_hash=hash_token(secret), hint=secret[-4:],
                     expires_at=expires_at, created_at=utcnow())
    session.add(token)
    session.flush()
    audit.record("token.create", token, user=user, owner=user.username, name=name, hint=token.hint,
                 expires_at=expires_at.isoformat() if expires_at else None)
    return token, secret


def revoke_token(session, token: ApiToken, user: User) -> ApiToken:
    """Revoke one of the user's own tokens (an administrator may revoke anyone's)."""
    if token.user_id != user.id and user.role != "admin":
        raise NotAllowed(_("This token belongs to another account."))
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        session.flush()
        audit.record("token.revoke", token, user=user, owner_id=token.user_id, name=token.name,
                     hint=token.hint)
    return token


def authenticate(session, secret: str | None, now: datetime | None = None) -> User | None:
    """The active user holding this secret, or None when it is unknown, revoked or expired."""
    if not secret or len(secret) > MAX_SECRET or not secret.startswith(TOKEN_PREFIX):
        return None
    token = session.scalars(_BY_HASH, {"token_hash": hash_token(secret)}).one_or_none()
    now = now or utcnow()
    if token is None or token.revoked_at is not None:
        return None
    if token.expires_at is not None and token.expires_at <= now:
        return None
    user = token.user
    if user is None or not user.active:
        return None
    if token.last_used_at is None or now - token.last_used_at >= TOUCH_INTERVAL:
        token.last_used_at = now
        session.flush()
    return user


def user_tokens(session, user: User) -> list[ApiToken]:
    """The user's tokens, newest first (revoked and expired ones included, for the record)."""
    return (session.query(ApiToken).filter_by(user_id=user.id)
            .order_by(ApiToken.created_at.desc(), ApiToken.id.desc()).all())
