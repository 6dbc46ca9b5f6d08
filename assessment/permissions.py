"""Who may do what: small named predicates used by pages, files and the API alike."""
from __future__ import annotations

from .models import Submission, User


def is_admin(user: User) -> bool:
    return bool(user and user.is_authenticated and user.role == "admin")


def can_view_unit(user: User, unit) -> bool:
    """Admin all; operator its own unit; monitor its province and the province's units."""
    if not (user and user.is_authenticated):
        return False
    if user.role == "admin":
        return True
    if user.role == "operator":
        return user.unit_code == unit.code
    if user.role == "monitor":
        return unit.code == user.unit_code or unit.province_code == user.unit_code
    return False


def can_view_submission(user: User, sub: Submission) -> bool:
    return can_view_unit(user, sub.unit)


def can_edit_submission(user: User, sub: Submission) -> bool:
    """Only the unit's own operators edit its questionnaire (deadline and status checked
    separately, in operations, so the refusal can say why)."""
    return bool(user and user.is_authenticated and user.role == "operator"
                and user.unit_code == sub.unit_code)


def can_monitor(user: User) -> bool:
    return bool(user and user.is_authenticated and user.role in ("admin", "monitor"))


def can_edit_unit(user: User, unit) -> bool:
    """Whether the user may fill in the unit's questionnaire (before one exists)."""
    return bool(user and user.is_authenticated and user.role == "operator"
                and user.unit_code == unit.code)


def can_view_period(user: User, period) -> bool:
    """Admin and judges see every period; operators those their unit's level takes part in;
    monitors those in which provinces or regencies take part."""
    if not (user and user.is_authenticated):
        return False
    if user.role in ("admin", "judge"):
        return True
    if user.role == "operator":
        return bool(user.unit and user.unit.level in period.levels)
    if user.role == "monitor":
        return bool({"provinsi", "kabkota"} & set(period.levels))
    return False
