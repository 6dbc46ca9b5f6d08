"""Saves merge per indicator: the one place that decides what a save changes and whether it
conflicts with what others saved since the save's base.

Every save is based on a version (the page, the API and the Excel file carry the version
they were read at). ``Submission.changed`` records, per indicator, the version at which its
answer or evidence last changed and who changed it. A save with an older version succeeds
when none of the indicators it changes was changed since its base; an indicator changed on
both sides (to different values) is a conflict, and then nothing is saved.

Conflicts are shown to the unit, so they never name a judge or an administrator: colleagues
of the same unit by name, otherwise "Tim Penilai" or "Admin" (``who_for_unit``).

``base_version``, ``changed_since``, ``conflicting`` and ``stamp`` take any record with a
``version`` and a ``changed`` map: a questionnaire (``Submission``) or a judge's
verification of one unit (``JudgeAssignment``, operations/verification.py), so the judge's
windows and the API merge by the same rules.
"""
from __future__ import annotations

from flask_babel import gettext as _

from ..formatting import datetime_in_zones
from ..models import Submission, User
from . import Conflict, Invalid


def base_version(sub, version) -> int:
    """The save's base version as an int, or Invalid when it is missing or not one of the
    record's versions (a questionnaire's or a judge's verification's)."""
    try:
        version = int(version)
    except (TypeError, ValueError):
        version = 0
    if not 1 <= version <= sub.version:
        raise Invalid(_("The form is missing its version number; reload the page."),
                      details={"version": "missing"})
    return version


def state_of(sub: Submission, key: str):
    """An indicator's stored state: its answer, or {"raw": text} when a typed-but-invalid
    text is kept, or None."""
    pending = (sub.pending or {}).get(key)
    if pending:
        return {"raw": pending.get("raw") or ""}
    return (sub.answers or {}).get(key)


def changed_since(sub, key: str, version: int) -> bool:
    entry = (sub.changed or {}).get(key) or {}
    return int(entry.get("version") or 0) > version


def conflicting(record, mine: dict, version: int, current) -> list[str]:
    """The keys of ``mine`` (key -> the state the save gives it) that were changed on
    ``record`` since ``version`` and whose current state (``current(key)``) differs from the
    save's, in the order given: a save's conflicts, for any record with ``changed``."""
    return [key for key, state in mine.items()
            if changed_since(record, key, version) and current(key) != state]


def who_for_unit(session, user_id, unit_code: str) -> str:
    """How a unit is told who changed its questionnaire: a colleague by name, otherwise the
    role only (judges' and administrators' names are not the unit's business)."""
    user = session.get(User, user_id) if user_id else None
    if user is not None and user.role == "operator" and user.unit_code == unit_code:
        return user.name or user.username
    if user is not None and user.role == "judge":
        return _("Judging team")
    return _("Admin")


def conflicts_of(session, sub: Submission, mine: dict, version: int,
                 evidence: dict | None = None) -> list[dict]:
    """The save's conflicts, in the order given: indicators it changes (``mine``: key ->
    state; ``evidence``: key -> what the save does to its evidence) that were changed since
    ``version`` and whose stored state differs from the save's."""
    out = [_conflict(session, sub, key, _shown(mine[key]))
           for key in conflicting(sub, mine, version, lambda key: state_of(sub, key))]
    for key, action in (evidence or {}).items():
        if key not in mine and changed_since(sub, key, version):
            out.append(_conflict(session, sub, key, action))
    return out


def _conflict(session, sub, key, yours) -> dict:
    entry = (sub.changed or {}).get(key) or {}
    return {"indicator": key, "yours": yours, "theirs": _shown(state_of(sub, key)),
            "by": who_for_unit(session, entry.get("by"), sub.unit_code)}


def _shown(state):
    return state["raw"] if isinstance(state, dict) and "raw" in state else state


def check_conflicts(session, sub: Submission, mine: dict, version: int,
                    evidence: dict | None = None) -> None:
    """Raise Conflict (details: {"conflicts": [{indicator, yours, theirs}], "current_version"})
    when the save changes an indicator someone else changed since ``version``."""
    found = conflicts_of(session, sub, mine, version, evidence)
    if not found:
        return
    names = sorted({row.pop("by") for row in found})
    zone = sub.unit.time_zone if sub.unit else "WIB"
    raise Conflict(_("Your changes were NOT saved: %(num)d of the answers you changed were "
                     "changed by %(who)s (last save %(when)s) since you opened them. Both values "
                     "are shown side by side: choose which to keep, then save again.",
                     num=len(found), who=", ".join(names),
                     when=datetime_in_zones(sub.updated_at, zone)),
                   details={"conflicts": found, "current_version": sub.version})


def stamp(sub, keys, user) -> None:
    """Record that ``keys`` change in the flush about to happen (the version it will give)."""
    if not keys:
        return
    changed = dict(sub.changed or {})
    for key in keys:
        changed[key] = {"version": sub.version + 1, "by": getattr(user, "id", None)}
    sub.changed = changed
