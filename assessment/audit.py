"""Writing to the append-only audit log."""
from __future__ import annotations

from flask_login import current_user

from .extensions import db
from .models import AuditLog


def record(action: str, obj=None, *, user=None, period_id=None, unit_code=None, **detail) -> AuditLog:
    """Add an audit entry for ``action`` on ``obj`` (committed with the request's work)."""
    if user is None and current_user and getattr(current_user, "is_authenticated", False):
        user = current_user
    entry = AuditLog(action=action, user_id=getattr(user, "id", None),
                     object_type=type(obj).__name__ if obj is not None else "",
                     object_id=str(_ident(obj)) if obj is not None else "",
                     period_id=period_id if period_id is not None else getattr(obj, "period_id", None),
                     unit_code=unit_code or getattr(obj, "unit_code", None),
                     detail=detail)
    db.session.add(entry)
    return entry


def _ident(obj):
    for attr in ("id", "code", "slug"):
        value = getattr(obj, attr, None)
        if value is not None:
            return value
    return ""
