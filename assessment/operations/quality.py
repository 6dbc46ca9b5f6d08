"""Claimed versus verified (gaps by unit, indicator and province) and judge quality.

Both inform the bureau; neither changes a score. Gaps come from ``scoring.score(detail=True)``
on the period's exchange export, so claimed and verified fractions are the rubric's own:
an indicator counts once some judge verified it or it was moderated. Judge quality is the
pure ``judge_stats`` over each judge's fractions (``scoring.answer_fraction``) and the
assignments' start and completion times."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Iterable, Mapping

from sqlalchemy import case, func, select
from sqlalchemy.orm import selectinload

from scoring import assessment_from_dict, round2, score

from ..models import JudgeAssignment, User, Verification, WorkUnit
from ..rubric_store import rubric_for
from .judging import setting, unwrap
from .kept import kept
from .moderation import judge_fractions, threshold
from .runs import export_exchange

# a judge whose mean difference from co-judges is at least this far from 0 is called
# more lenient (above) or stricter (below); a tenth of an indicator's maximum
LENIENCY_MARGIN = Fraction(1, 10)


# ---- claimed versus verified ----------------------------------------------------------------

@dataclass(frozen=True)
class Gap:
    """Mean claimed and verified fractions (0..1) over ``count`` verified indicator answers."""

    key: str
    label: str
    count: int
    claimed: Fraction
    verified: Fraction
    province: str = ""
    self_score: Decimal | None = None        # units only: self-score and verified stage-1 score,
    verified_score: Decimal | None = None    # rounded as published

    @property
    def gap(self) -> Fraction:
        return self.claimed - self.verified


class _Sum:
    def __init__(self):
        self.count, self.claimed, self.verified = 0, Fraction(0), Fraction(0)

    def add(self, claimed: Fraction, verified: Fraction) -> None:
        self.count += 1
        self.claimed += claimed
        self.verified += verified

    def gap(self, key, label, **extra) -> Gap:
        return Gap(key, label, self.count, self.claimed / self.count, self.verified / self.count,
                   **extra)


def gaps_from_result(rubric, result) -> dict[str, list[Gap]]:
    """Gaps by unit, indicator and province from a detailed ``scoring.score`` result; largest
    over-claim first. Unverified indicators (no judge value, no moderation) are left out."""
    first = rubric.stages[0].id
    by_unit, by_ind, by_prov = {}, defaultdict(_Sum), defaultdict(_Sum)
    units = []
    for row in result.ranking:
        total = _Sum()
        for ind in rubric.indicators:
            detail = (row.indicators or {}).get(ind.id)
            if not (ind.scored and detail and (detail.judge_fractions or detail.moderated is not None)):
                continue
            if detail.not_applicable:
                continue   # verified "tidak-berlaku": no fraction to compare the claim with
            claimed = detail.self_fraction or Fraction(0)   # unanswered or "tidak-berlaku" claims 0
            for bucket in (total, by_ind[ind.id], by_prov[row.unit.province]):
                bucket.add(claimed, detail.verified)
        if total.count:
            by_unit[row.unit.code] = total
            units.append(total.gap(row.unit.code, row.unit.name, province=row.unit.province,
                                   self_score=round2(row.self_total),
                                   verified_score=round2(row.stages.get(first, Fraction(0)))))
    indicators = [by_ind[i.id].gap(i.id, i.question) for i in rubric.indicators if i.id in by_ind]
    provinces = [s.gap(p, p or "-") for p, s in by_prov.items()]
    order = lambda g: (-g.gap, g.key)   # noqa: E731
    return {"units": sorted(units, key=order), "indicators": sorted(indicators, key=order),
            "provinces": sorted(provinces, key=order)}


def claim_gaps(session, period, exchange: dict | None = None) -> dict[str, list[Gap]]:
    """The period's gaps, scored from its exchange export (``exchange`` if given); without
    it, the gaps worked out earlier are reused while the season's data is unchanged
    (``kept``)."""
    rubric = rubric_for(period)
    if exchange is None:
        return kept(session, period, "claim_gaps", lambda: claim_gaps(
            session, period, export_exchange(session, period)))
    result = score(rubric, assessment_from_dict(exchange), detail=True)
    return gaps_from_result(rubric, result)


# ---- judge quality ------------------------------------------------------------------------------

@dataclass(frozen=True)
class AssignmentTimes:
    judge_id: int
    unit_code: str
    started_at: datetime | None = None
    completed_at: datetime | None = None


@dataclass(frozen=True)
class JudgeStats:
    """One judge's record; ``leniency`` and ``agreement`` are None below the sample guard."""

    judge_id: int
    assigned: int
    completed: int
    shared: int
    leniency: Fraction | None
    agreement: Fraction | None
    median_time: timedelta | None

    @property
    def verdict(self) -> str:
        """too_few, lenient, strict or in_line."""
        if self.leniency is None:
            return "too_few"
        if self.leniency >= LENIENCY_MARGIN:
            return "lenient"
        if self.leniency <= -LENIENCY_MARGIN:
            return "strict"
        return "in_line"


def judge_stats(fractions: Mapping[tuple[str, str], Mapping[int, Fraction]],
                assignments: Iterable[AssignmentTimes], threshold: Fraction,
                min_shared: int) -> dict[int, JudgeStats]:
    """Per judge: units assigned and completed; over shared indicators (a (unit, indicator)
    that at least one co-judge also verified) the mean signed difference from the co-judges'
    mean (leniency: positive gives more) and the share within ``threshold`` of every co-judge
    (agreement); the median time from first value to completion. Fewer than ``min_shared``
    shared indicators give no leniency or agreement."""
    diffs: dict[int, list[Fraction]] = defaultdict(list)
    agreed: dict[int, int] = defaultdict(int)
    for by_judge in fractions.values():
        if len(by_judge) < 2:
            continue
        for judge, own in by_judge.items():
            others = [f for j, f in by_judge.items() if j != judge]
            diffs[judge].append(own - sum(others, Fraction(0)) / len(others))
            agreed[judge] += all(abs(own - f) <= threshold for f in others)
    times: dict[int, list[AssignmentTimes]] = defaultdict(list)
    for a in assignments:
        times[a.judge_id].append(a)
    out = {}
    for judge in sorted(set(times) | set(diffs)):
        own, shared = times.get(judge, []), len(diffs.get(judge, []))
        enough = shared >= max(min_shared, 1)
        out[judge] = JudgeStats(
            judge_id=judge, assigned=len(own), shared=shared,
            completed=sum(1 for a in own if a.completed_at is not None),
            leniency=sum(diffs[judge], Fraction(0)) / shared if enough else None,
            agreement=Fraction(agreed[judge], shared) if enough else None,
            median_time=median_duration([a.completed_at - a.started_at for a in own
                                         if a.started_at and a.completed_at]))
    return out


def median_duration(values: list[timedelta]) -> timedelta | None:
    if not values:
        return None
    values = sorted(values)
    n = len(values)
    return values[n // 2] if n % 2 else (values[n // 2 - 1] + values[n // 2]) / 2


def judge_quality(session, period) -> list[tuple[User, JudgeStats]]:
    """Every judge with an assignment in the period (active or ended) and their record (the
    records reused while the season's data is unchanged, ``kept``; the judges read afresh)."""
    stats = kept(session, period, "judge_stats", lambda: _judge_stats(session, period))
    users = {u.id: u for u in session.scalars(select(User).where(User.id.in_(stats)))} if stats else {}
    return sorted(((users[j], s) for j, s in stats.items() if j in users),
                  key=lambda pair: (pair[0].name or pair[0].username).casefold())


def _judge_stats(session, period) -> dict[int, JudgeStats]:
    rubric = rubric_for(period)
    assignments = session.scalars(select(JudgeAssignment).where(
        JudgeAssignment.period_id == period.id)).all()
    values: dict[tuple[str, str], dict[int, object]] = defaultdict(dict)
    rows = session.execute(select(JudgeAssignment.unit_code, JudgeAssignment.judge_id,
                                  Verification.indicator_id, Verification.value)
                           .join(Verification, Verification.assignment_id == JudgeAssignment.id)
                           .where(JudgeAssignment.period_id == period.id))
    for unit_code, judge_id, indicator_id, stored in rows:
        if rubric.has_indicator(indicator_id) and rubric.indicator(indicator_id).scored:
            values[(unit_code, indicator_id)][judge_id] = unwrap(stored)
    memo: dict = {}   # the same indicator and value: the same fraction (values repeat a lot)
    categories = dict(session.execute(select(WorkUnit.code, WorkUnit.level).where(
        WorkUnit.code.in_({code for code, _ind in values}))).all())   # the unit's bands
    fractions = {key: judge_fractions(rubric.indicator(key[1]), by_judge, memo,
                                      categories.get(key[0]))
                 for key, by_judge in values.items()}
    return judge_stats(fractions, [AssignmentTimes(a.judge_id, a.unit_code, a.started_at,
                                                   a.completed_at) for a in assignments],
                       threshold(period), int(setting(period, "min_shared_indicators")))


# ---- values accepted unchanged ---------------------------------------------------------------

@dataclass(frozen=True)
class CopiedShare:
    """How many of a judge's verified values are the unit's answer accepted unchanged, of
    those whose origin is recorded (values saved before it was recorded are not counted)."""

    copied: int
    recorded: int

    @property
    def share(self) -> Fraction | None:
        return Fraction(self.copied, self.recorded) if self.recorded else None


def copied_shares(session, period) -> dict[int, CopiedShare]:
    """Per judge id: values accepted unchanged out of the values with a recorded origin
    (one aggregate query, ``kept`` while the season's data is unchanged)."""
    return kept(session, period, "copied_shares", lambda: _copied_shares(session, period))


def _copied_shares(session, period) -> dict[int, CopiedShare]:
    rows = session.execute(
        select(JudgeAssignment.judge_id,
               func.sum(case((Verification.origin == "copied", 1), else_=0)),
               func.count(Verification.id))
        .join(Verification, Verification.assignment_id == JudgeAssignment.id)
        .where(JudgeAssignment.period_id == period.id, Verification.origin.is_not(None))
        .group_by(JudgeAssignment.judge_id))
    return {judge: CopiedShare(int(copied or 0), int(recorded)) for judge, copied, recorded in rows}


def all_copied_completions(session, period) -> list[JudgeAssignment]:
    """Completed verifications in which every value is the unit's answer unchanged (which
    ones reused while the season's data is unchanged, ``kept``; the assignments, their units
    and judges read afresh in three queries)."""
    chosen = kept(session, period, "all_copied", lambda: _all_copied_ids(session, period))
    if not chosen:
        return []
    return session.scalars(select(JudgeAssignment).where(JudgeAssignment.id.in_(chosen))
                           .options(selectinload(JudgeAssignment.unit),
                                    selectinload(JudgeAssignment.judge))
                           .order_by(JudgeAssignment.unit_code, JudgeAssignment.id)).all()


def _all_copied_ids(session, period) -> list[int]:
    """Ids of the completed assignments whose every value is copied (the values of every
    completed assignment in one query)."""
    origins: dict[int, list] = defaultdict(list)
    for assignment_id, origin, stored in session.execute(
            select(Verification.assignment_id, Verification.origin, Verification.value)
            .join(JudgeAssignment, Verification.assignment_id == JudgeAssignment.id)
            .where(JudgeAssignment.period_id == period.id, JudgeAssignment.active.is_(True),
                   JudgeAssignment.completed_at.is_not(None))):
        if unwrap(stored) is not None:
            origins[assignment_id].append(origin)
    return sorted(i for i, found in origins.items() if all(origin == "copied" for origin in found))
