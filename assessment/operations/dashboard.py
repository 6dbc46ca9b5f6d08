"""What the operator's dashboard shows: a card per period the unit takes part in, built from
a fixed number of queries (the periods with their extensions and rubric editions, their
states, the unit's questionnaires with their evidence) whatever the number of periods."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..completeness import aspect_completeness
from ..models import Submission, WorkUnit
from ..models.types import utcnow
from ..progress import periods_for_unit, remaining
from ..rubric_store import rubric_for
from .questionnaire import self_scores
from .season import period_state


def operator_cards(session, unit: WorkUnit | None, now: datetime | None = None) -> list[dict]:
    """One card per opened period of the unit, newest first: its questionnaire (or None),
    status, the period's state, the unit's closing time (a returned questionnaire's
    revision deadline) and what remains until then, completeness per aspect, self scores."""
    if unit is None:
        return []
    now = now or utcnow()
    periods = periods_for_unit(session, unit, now)
    subs = {s.period_id: s for s in session.scalars(
        select(Submission).options(selectinload(Submission.evidence))
        .where(Submission.unit_code == unit.code,
               Submission.period_id.in_([p.id for p in periods])))} if periods else {}
    cards = []
    for period in periods:
        sub = subs.get(period.id)
        rubric = rubric_for(period)
        state = period_state(period, now)
        closes = state.unit(unit, sub).until
        cards.append({"period": period, "sub": sub, "status": sub.status if sub else "not_started",
                      "state": state, "closes_at": closes, "remaining": remaining(closes, now),
                      "aspects": aspect_completeness(rubric, sub),
                      "scores": None if sub is None else self_scores(rubric, sub)})
    return cards
