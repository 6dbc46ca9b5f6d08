"""Figures worked out from a period's season data, kept per process until that data changes.

The final gates (stage two scored for the shortlist), claimed versus verified and judge
quality need every judge's value of the period, exported and scored by the rules: seconds
for a national season, on every view of the scoring-runs and moderation pages. ``kept``
returns the figure worked out earlier while ``season_version`` is unchanged, and works it
out again otherwise.

``season_version`` is what ``export_exchange`` and judge quality read, in a few aggregate
queries (counts, last ids, last changes): assignments and their times, judges' values,
submitted questionnaires, moderations, stage-two scores, exclusions, the registry's units,
the period's judging settings and rubric; plus this process's own count of flushed changes
to those tables, so a change made here is seen even when two values are saved within the
same clock tick. Another process's change is seen through the database's counts, last ids
and ``updated_at`` times. The database's address is part of the key: tests (and a restored
backup) reuse period ids in other databases."""
from __future__ import annotations

from collections import OrderedDict
from typing import Callable

from sqlalchemy import Integer, cast, event, func, select
from sqlalchemy.orm import Session

from ..models import (JudgeAssignment, Moderation, StageScore, Submission, UnitExclusion,
                      Verification, WorkUnit)

_KEPT: OrderedDict = OrderedDict()    # (database, period id, name) -> (version, value)
_KEPT_MAX = 32
_WATCHED = (JudgeAssignment, Moderation, StageScore, Submission, UnitExclusion, Verification,
            WorkUnit)
_changes = [0]     # flushes in this process that touched a watched table


@event.listens_for(Session, "after_flush")
def _count_changes(session, _context) -> None:
    if any(isinstance(obj, _WATCHED)
           for obj in (*session.new, *session.dirty, *session.deleted)):
        _changes[0] += 1


def season_version(session, period) -> tuple:
    """What the period's scored figures depend on (see the module's docstring)."""
    assignments = session.execute(
        select(func.count(JudgeAssignment.id), func.max(JudgeAssignment.id),
               func.count(JudgeAssignment.completed_at), func.max(JudgeAssignment.completed_at),
               func.max(JudgeAssignment.started_at),
               func.sum(cast(JudgeAssignment.active, Integer)))
        .where(JudgeAssignment.period_id == period.id)).one()
    values = session.execute(
        select(func.count(Verification.id), func.max(Verification.id),
               func.max(Verification.updated_at))
        .join(JudgeAssignment, Verification.assignment_id == JudgeAssignment.id)
        .where(JudgeAssignment.period_id == period.id)).one()
    subs = session.execute(
        select(func.count(Submission.id), func.max(Submission.id), func.sum(Submission.version),
               func.max(Submission.updated_at))
        .where(Submission.period_id == period.id, Submission.status == "submitted")).one()
    mods = session.execute(select(func.count(Moderation.id), func.max(Moderation.id))
                           .where(Moderation.period_id == period.id)).one()
    stages = session.execute(
        select(func.count(StageScore.id), func.max(StageScore.id), func.max(StageScore.updated_at))
        .where(StageScore.period_id == period.id)).one()
    excluded = session.execute(select(func.count(UnitExclusion.id), func.max(UnitExclusion.id))
                               .where(UnitExclusion.period_id == period.id)).one()
    units = session.execute(select(func.count(WorkUnit.code), func.count(WorkUnit.exists_until),
                                   func.max(WorkUnit.exists_from), func.sum(func.length(WorkUnit.name)))
                            .where(WorkUnit.active.is_(True))).one()
    edition = getattr(period, "rubric_edition", None)
    return (_changes[0], tuple(assignments), tuple(values), tuple(subs), tuple(mods),
            tuple(stages), tuple(excluded), tuple(units), period.rubric_id,
            getattr(edition, "sha256", None), repr(sorted((period.settings or {}).items())))


def kept(session, period, name: str, compute: Callable[[], object]):
    """``compute()``'s value for the period, worked out again only when ``season_version``
    changed since it was last worked out in this process (the last few figures are kept)."""
    key = (str(session.get_bind().url), period.id, name)
    version = season_version(session, period)
    found = _KEPT.get(key)
    if found is not None and found[0] == version:
        _KEPT.move_to_end(key)
        return found[1]
    value = compute()
    _KEPT[key] = (version, value)
    _KEPT.move_to_end(key)
    while len(_KEPT) > _KEPT_MAX:
        _KEPT.popitem(last=False)
    return value


def forget() -> None:
    """Drop every kept figure (tests)."""
    _KEPT.clear()
