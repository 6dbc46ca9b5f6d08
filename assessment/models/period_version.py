"""One version row per period, bumped in the same transaction as every write that can change
what the period's season figures are worked out from.

Figures worked out from a whole season (the final gates, disagreement flags, claimed versus
verified, judge quality: operations/kept.py) are kept per process and reused while the
period's ``(token, version)`` is unchanged: one primary-key read instead of scanning the
judges' values on every view.

No operation bumps the version itself: the session's events do, so no write can forget it.

- ``after_flush`` notes the periods of every flushed row of a watched model (new, changed
  or deleted): assignments, judges' values, moderations, stage-two scores, objections,
  scoring runs and publications, exclusions and accepted disagreements, returns, deadline
  extensions, the good-practice library, the period itself, and questionnaires that are,
  or were until this change, submitted (a draft's autosave changes no figure and takes no
  lock). A change to the registry's units or to a rubric edition concerns every period.
- ``do_orm_execute`` notes statements sent through the session that bypass the unit of
  work (``session.execute(insert(Model.__table__), rows)``, ``update()``, ``delete()``) on a
  watched table: every period then.
- ``before_commit`` of the outermost transaction flushes what is left and bumps the noted
  periods in one statement (an upsert: the row is made by the first bump, with a random
  ``token`` so that a period id reused in another database, a test's or a restored one,
  never matches a version kept from before). On PostgreSQL the row lock is held only
  from there to the commit.

Writes through a raw connection (backup's restore) bypass the session and bump nothing: a
restore is followed by a restart of the application."""
from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, Integer, String, event, literal, select
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, Session, mapped_column, scoped_session

from ..extensions import db
from .judging import (GoodPractice, JudgeAssignment, Moderation, Objection, PracticeOptOut,
                      Publication, RevisionRequest, ScoringRun, StageScore, Verification)
from .periods import DeadlineExtension, Period, RubricEdition
from .season import DisagreementAcceptance, UnitExclusion
from .submissions import Submission
from .types import UTCDateTime, utcnow
from .units import WorkUnit


class PeriodVersion(db.Model):
    """The period's version: changes whenever anything its season figures read changes."""
    __tablename__ = "period_version"

    # no foreign key: the row is bookkeeping and must never stand in the way of a period's
    # own life (a test or a restore removing periods)
    period_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    version: Mapped[int] = mapped_column(BigInteger, nullable=False, default=1)
    token: Mapped[str] = mapped_column(String(32), nullable=False)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


ALL = "all"    # noted instead of a period id: every period
_NOTED = "period_version_noted"           # session.info: period ids (or ALL) to bump
_ASSIGNMENTS = "period_version_assignments"    # judges' values whose assignment is not loaded
_SUBMISSIONS = "period_version_submissions"    # returns whose submission is not loaded
_READ = "period_version_read"             # versions read in this transaction

_BY_PERIOD = (JudgeAssignment, Moderation, StageScore, Objection, ScoringRun, Publication,
              UnitExclusion, DisagreementAcceptance, DeadlineExtension, GoodPractice,
              PracticeOptOut)
_EVERY_PERIOD = (WorkUnit, RubricEdition)
WATCHED = (*_BY_PERIOD, *_EVERY_PERIOD, Period, Submission, Verification, RevisionRequest)
_TABLES = {model.__table__.name: model for model in WATCHED}


def read(session, period_id: int) -> tuple | None:
    """``(token, version)`` of the period as committed (plus this transaction's own bumps),
    or None while no write has made its row yet; read once per transaction."""
    if isinstance(session, scoped_session):   # db.session: this thread's Session
        session = session()
    seen = session.info.setdefault(_READ, {})
    if period_id not in seen:
        row = session.execute(select(PeriodVersion.token, PeriodVersion.version)
                              .where(PeriodVersion.period_id == period_id)).first()
        seen[period_id] = None if row is None else tuple(row)
    return seen[period_id]


def unbumped(session) -> bool:
    """Whether this session holds changes to watched rows that are not bumped yet (flushed
    or not): a figure worked out now would see them, and must not be kept under the
    version as committed."""
    if isinstance(session, scoped_session):   # db.session: this thread's Session
        session = session()
    if session.info.get(_NOTED) or session.info.get(_ASSIGNMENTS) or session.info.get(_SUBMISSIONS):
        return True
    return any(isinstance(obj, WATCHED) and (not isinstance(obj, Submission)
                                             or _submission_counts(obj))
               for obj in (*session.new, *session.dirty, *session.deleted))


def _submission_counts(sub) -> bool:
    """A questionnaire that is submitted, or whose status changes now (submit, return)."""
    return sub.status == "submitted" or bool(sa_inspect(sub).attrs.status.history.deleted)


@event.listens_for(Session, "after_flush")
def _note_flushed(session, _context) -> None:
    noted = session.info.setdefault(_NOTED, set())
    for obj in (*session.new, *session.dirty, *session.deleted):
        if not isinstance(obj, WATCHED):
            continue
        if isinstance(obj, _BY_PERIOD):
            noted.add(obj.period_id)
        elif isinstance(obj, _EVERY_PERIOD):
            noted.add(ALL)
        elif isinstance(obj, Period):
            if obj.id is not None:
                noted.add(obj.id)
        elif isinstance(obj, Submission):
            if _submission_counts(obj):
                noted.add(obj.period_id)
        elif isinstance(obj, Verification):
            assignment = obj.__dict__.get("assignment")
            if assignment is not None and assignment.period_id is not None:
                noted.add(assignment.period_id)
            else:
                session.info.setdefault(_ASSIGNMENTS, set()).add(obj.assignment_id)
        elif isinstance(obj, RevisionRequest):
            sub = obj.__dict__.get("submission")
            if sub is not None and sub.period_id is not None:
                noted.add(sub.period_id)
            else:
                session.info.setdefault(_SUBMISSIONS, set()).add(obj.submission_id)
    noted.discard(None)


@event.listens_for(Session, "do_orm_execute")
def _note_statement(state) -> None:
    if not (state.is_insert or state.is_update or state.is_delete):
        return
    table = getattr(state.statement, "table", None)
    if getattr(table, "name", None) in _TABLES:
        state.session.info.setdefault(_NOTED, set()).add(ALL)


@event.listens_for(Session, "before_commit")
def _bump(session) -> None:
    if session.in_nested_transaction():
        return   # a savepoint released: the outermost commit bumps
    if session.new or session.dirty or session.deleted:
        session.flush()
    noted = session.info.pop(_NOTED, set())
    assignments = session.info.pop(_ASSIGNMENTS, set()) - {None}
    submissions = session.info.pop(_SUBMISSIONS, set()) - {None}
    if assignments:
        noted.update(session.scalars(select(JudgeAssignment.period_id).where(
            JudgeAssignment.id.in_(assignments)).distinct()))
    if submissions:
        noted.update(session.scalars(select(Submission.period_id).where(
            Submission.id.in_(submissions)).distinct()))
    noted.discard(None)
    if noted:
        bump(session, None if ALL in noted else sorted(noted))
        session.info.pop(_READ, None)


@event.listens_for(Session, "after_transaction_end")
def _forget(session, trans) -> None:
    if trans.parent is None:   # the outermost transaction ended (committed or rolled back)
        for key in (_NOTED, _ASSIGNMENTS, _SUBMISSIONS, _READ):
            session.info.pop(key, None)


def bump(session, period_ids: list[int] | None) -> None:
    """Raise the version of the given periods (None: every period) by one, making the rows
    that do not exist yet: one upsert, rows taken in id order."""
    table = PeriodVersion.__table__
    periods = Period.__table__
    now = utcnow()
    source = select(periods.c.id, literal(1), literal(uuid.uuid4().hex), literal(now, UTCDateTime))
    source = source.where(periods.c.id.in_(period_ids) if period_ids is not None
                          else periods.c.id.is_not(None)).order_by(periods.c.id)
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = dialect.insert(table).from_select(["period_id", "version", "token", "changed_at"], source)
    statement = statement.on_conflict_do_update(
        index_elements=[table.c.period_id],
        set_={"version": table.c.version + 1, "changed_at": now})
    session.execute(statement)
