"""Who may do what: small named predicates used by pages, files and the API alike.

Judge conflicts are ``operations.judging.judge_conflict``; this module asks it, and the
operations that need a permission ask this module (operations.judging and operations.runs
import nothing from here, so there is no cycle).

Permissions are checked when they are used, not only when a role is given: every operation
that changes something asks its predicate here at the moment it runs (so a page and the API
share the check), and the predicates read the state of now: the account still active, the
assignment still active, no conflict of interest since, the period not archived."""
from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import false, or_, true

from .models import JudgeAssignment, Objection, Submission, User, WorkUnit
from .operations import NotAllowed
from .operations.judging import active_assignment, is_lead_judge, judge_conflict
from .operations.runs import shortlisted_units


def require(allowed: bool, message: str | None = None) -> None:
    """Refuse an operation (NotAllowed, 403) unless its predicate holds now."""
    if not allowed:
        raise NotAllowed(message or _("You may not do this now: your role, assignment or "
                                      "account no longer allows it."))


def _acting(user: User) -> bool:
    """A signed-in account that is still active (a deactivated account's old session or an
    operation called with its row acts as nobody)."""
    return bool(user and user.is_authenticated and getattr(user, "active", True))


def is_admin(user: User) -> bool:
    return bool(_acting(user) and user.role == "admin")


def operator_unit(user: User) -> WorkUnit | None:
    """The work unit an operator works for; None for everyone else."""
    if user and user.is_authenticated and user.role == "operator":
        return user.unit
    return None


def is_operator_of(user: User, unit_code: str | None) -> bool:
    """Whether the user is an operator of the unit with this code (edits its questionnaire,
    withholds its material, reads its objections)."""
    return bool(_acting(user) and user.role == "operator"
                and unit_code is not None and user.unit_code == unit_code)


def units_visible_to(user: User):
    """The condition on WorkUnit for the units ``can_view_unit`` lets the user see, for a
    query: ``session.query(WorkUnit).filter(units_visible_to(user))``."""
    if not (user and user.is_authenticated):
        return false()
    if user.role == "admin":
        return true()
    if user.role == "operator":
        return WorkUnit.code == user.unit_code
    if user.role == "monitor":
        return or_(WorkUnit.code == user.unit_code, WorkUnit.province_code == user.unit_code)
    return false()


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
    return is_operator_of(user, sub.unit_code)


def can_monitor(user: User) -> bool:
    return bool(_acting(user) and user.role in ("admin", "monitor"))


def can_edit_unit(user: User, unit) -> bool:
    """Whether the user may fill in the unit's questionnaire (before one exists)."""
    return is_operator_of(user, unit.code)


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


def can_moderate(user: User, period, unit=None) -> bool:
    """The admin, or a lead judge of the period - never for a unit they have a conflict with."""
    if is_admin(user):
        return True
    if not (_acting(user) and is_lead_judge(user, period)):
        return False
    return unit is None or not judge_conflict(user, unit, period)


def can_record_moderation(user: User, period, unit, flagged: bool) -> bool:
    """Who may record a moderated value now. Inside a flagged disagreement: ``can_moderate``
    (the admin, or a lead judge without a conflict). Outside one (no flag for that unit and
    indicator): the admin only - a correction, always with its reason (``moderate`` requires
    one). A lead judge moderates disagreements, not any value of any unit."""
    if is_admin(user):
        return True
    return bool(flagged) and can_moderate(user, period, unit)


def can_assign_judges(user: User) -> bool:
    """Who assigns judges to units (automatically or by hand), ends assignments, records a
    judge's drop-out, changes the judging settings (lead judges among them) and assigns
    objection reviewers: the admin only, an active account. Lead judges moderate flagged
    disagreements (``can_moderate``); they never assign. Checked by each operation when it
    runs, whatever page, command or test called it."""
    return is_admin(user)


def can_judge(user: User) -> bool:
    return bool(_acting(user) and user.role == "judge")


def can_verify(session, user: User, period, unit) -> bool:
    """A judge with an active assignment for the unit and no conflict of interest.
    (The conflict is checked again here, so an assignment made by mistake still refuses.)"""
    return (can_judge(user) and not judge_conflict(user, unit, period)
            and active_assignment(session, period, unit.code, user) is not None)


def judge_may_see(session, user: User, period, unit) -> bool:
    """Whether a judge may see a unit's submission and evidence: never with a conflict;
    otherwise when assigned to it (active or ended), reviewing one of its objections, or
    scoring it in a later stage."""
    if not can_judge(user) or judge_conflict(user, unit, period):
        return False
    assigned = session.query(JudgeAssignment.id).filter_by(
        period_id=period.id, unit_code=unit.code, judge_id=user.id).first()
    reviewing = session.query(Objection.id).filter_by(
        period_id=period.id, unit_code=unit.code, reviewer_id=user.id).first()
    return bool(assigned or reviewing or in_later_stage(session, period, unit.code))


def in_later_stage(session, period, unit_code: str) -> bool:
    """Whether the unit was shortlisted for a later stage by the period's latest provisional
    run (judges without a conflict score shortlisted units there)."""
    return unit_code in shortlisted_units(session, period)


def can_review_objection(session, user: User, obj, period) -> bool:
    """The judge the admin assigned to the objection, and still eligible now: an active
    judge without a conflict of interest who has never been assigned to verify the unit
    (a judge added as a verifying judge after becoming reviewer no longer decides it)."""
    return bool(can_judge(user) and obj.reviewer_id == user.id
                and not judge_conflict(user, obj.unit, period)
                and not verified_unit(session, period, obj.unit_code, user.id))


def verified_unit(session, period, unit_code: str, judge_id: int) -> bool:
    """Whether the judge was ever assigned to verify the unit in the period (active or not)."""
    return session.query(JudgeAssignment.id).filter_by(
        period_id=period.id, unit_code=unit_code, judge_id=judge_id).first() is not None


def can_return(session, user: User, period, unit) -> bool:
    """The admin, or a judge who may verify the unit, may return its questionnaire for revision."""
    return is_admin(user) or can_verify(session, user, period, unit)


def can_see_versions(session, user: User, period, unit) -> bool:
    """The admin, or a judge who may see the unit, may compare its returned and revised versions."""
    return is_admin(user) or judge_may_see(session, user, period, unit)


def can_browse_practice(user: User) -> bool:
    """The good-practice library is for operators of every unit, monitors and the admin."""
    return bool(user and user.is_authenticated and user.role in ("admin", "operator", "monitor"))


def can_withhold_practice(user: User, unit) -> bool:
    """Only the unit's own operators withhold (or share again) its material."""
    return is_operator_of(user, unit.code)


def can_edit_channels(user: User, unit) -> bool:
    """A unit's operators and the admin register its channels and log its posts and
    activities (issue 16); who may see them is ``can_view_unit``."""
    return is_admin(user) or is_operator_of(user, unit.code)
