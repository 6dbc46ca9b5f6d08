"""Server-side records of logged-in browser sessions, so that logging out, a password
change or a deactivation ends a session everywhere even when sessions are signed cookies
(without Redis). The cookie carries a random id; only its SHA-256 is stored here."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, delete, event, inspect, update
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .types import UTCDateTime, utcnow
from .users import ApiToken, User


class UserSession(db.Model):
    __tablename__ = "user_session"

    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"),
                                         index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


@event.listens_for(User, "before_update")
def _credentials_changed(mapper, connection, user):
    """A new password or a deactivation ends every session of the account and revokes its
    API tokens, in the same flush, whatever path changed it (profile, admin, command line).
    The browser that changed its own password logs in again right after (a new record)."""
    state = inspect(user)
    new_password = state.attrs.password_hash.history.has_changes()
    deactivated = state.attrs.active.history.has_changes() and not user.active
    if not (new_password or deactivated):
        return
    sessions, tokens = UserSession.__table__, ApiToken.__table__
    connection.execute(delete(sessions).where(sessions.c.user_id == user.id))
    connection.execute(update(tokens).where(tokens.c.user_id == user.id,
                                            tokens.c.revoked_at.is_(None))
                       .values(revoked_at=utcnow()))
