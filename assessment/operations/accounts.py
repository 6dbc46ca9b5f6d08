"""A user's own account: changing the password."""
from __future__ import annotations

from flask_babel import gettext as _

from .. import audit
from ..models import User
from ..roster import password_problem
from . import Invalid


def change_password(session, user: User, current: str, new: str) -> User:
    """Set a new password after checking the current one; other sessions end (the session
    epoch moves on), the caller keeps its own by logging the user in again."""
    if not user.check_password(current or ""):
        raise Invalid(_("The current password is wrong."), details={"current_password": "wrong"})
    problem = password_problem(new or "", user.username)
    if problem:
        raise Invalid(problem, details={"new_password": problem})
    if user.check_password(new):
        raise Invalid(_("The new password is the current one."),
                      details={"new_password": "unchanged"})
    user.set_password(new)
    session.flush()
    audit.record("user.password_change", user, user=user)
    return user
