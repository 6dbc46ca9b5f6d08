"""Disagreement flags and moderated values.

A flag is an indicator of a submitted unit where the active judges' fractions (each judge's
verified value through ``scoring.answer_fraction``, the rubric's own rule) are further apart
than the period's ``disagreement_threshold``; a condition of entry is compared like any
yes/no (one judge's Ya against another's Tidak is a flag), and its moderated value decides. The admin resolves it by recording a moderated
value with a reason; the latest moderation of an indicator is what ``export_exchange``
exports as ``moderated`` and so what the score counts.

Moderations are history rows and may be recorded at any time: scoring runs are frozen, so a
moderation after a final run changes nothing published and counts only in the next run (a
correction, with its reason)."""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from fractions import Fraction

from flask_babel import gettext as _
from sqlalchemy import select

from scoring import AnswerError, answer_fraction

from .. import audit
from ..models import JudgeAssignment, Moderation, Submission, User, Verification, WorkUnit
from ..permissions import can_record_moderation, is_admin, require
from ..rubric_store import rubric_for
from . import Conflict, Invalid
from .answers import parse_typed
from .editability import check_not_archived
from .judging import setting, unwrap, wrap
from .kept import kept
from .runs import export_exchange

MAX_REASON = 4000


@dataclass(frozen=True)
class Flag:
    """One disagreement: the judges' values and fractions, the unit's claim, any moderation."""

    unit_code: str
    indicator_id: str
    judges: tuple[tuple[str, object, Fraction], ...]    # (judge key "J<id>", value, fraction)
    self_value: object
    spread: Fraction
    moderation: Moderation | None

    @property
    def resolved(self) -> bool:
        return self.moderation is not None


def threshold(period) -> Fraction:
    """The period's disagreement threshold as an exact fraction (0.5 -> 1/2)."""
    return Fraction(str(setting(period, "disagreement_threshold")))


def judge_fractions(indicator, values: dict, memo: dict | None = None,
                    category: str | None = None) -> dict[str, Fraction]:
    """Each judge's fraction of one indicator by the rubric's rule, with the bands of the
    unit's ``category`` (invalid values skipped, and "tidak-berlaku", which has no fraction
    and leaves the verified mean as well); ``memo`` keeps fractions already worked out for
    the same indicator, category and value."""
    out = {}
    for key, value in values.items():
        if value is None:
            continue
        slot = (indicator.id, category, repr(value)) if memo is not None else None
        if slot is not None and slot in memo:
            fraction = memo[slot]
        else:
            try:
                fraction = answer_fraction(indicator, value, category)
            except AnswerError:
                fraction = None
            if slot is not None:
                memo[slot] = fraction
        if fraction is not None:
            out[key] = fraction
    return out


def disagreements(session, period, exchange: dict | None = None) -> list[Flag]:
    """Every flagged (unit, indicator) of the period, resolved or not, in unit and rubric order.

    Without ``exchange``, the flags found for the same season data are reused (per process,
    ``kept`` while the period's version, threshold and rubric are unchanged): the moderation
    pages ask for them on every view, and finding them means exporting and reading every
    judge's value of the period (seconds for a national season). Moderations are always
    read afresh."""
    latest = latest_moderations(session, period)
    if exchange is not None:
        return _find_flags(rubric_for(period), exchange, threshold(period), latest)
    found = kept(session, period, "disagreement_flags", lambda: _find_flags(
        rubric_for(period), export_exchange(session, period), threshold(period), {}))
    return [replace(f, moderation=latest.get((f.unit_code, f.indicator_id))) for f in found]


def _find_flags(rubric, exchange: dict, limit: Fraction, latest: dict) -> list[Flag]:
    memo: dict = {}    # (indicator, value) -> fraction: judges' values repeat a lot
    flags = []
    categories = {u["code"]: u.get("category") for u in exchange["units"]}
    for response in exchange["responses"]:
        judges = response.get("judges") or {}
        if len(judges) < 2:
            continue
        for ind in rubric.indicators:
            if not ind.judged:   # scored, or a condition of entry (Ya 1, Tidak 0)
                continue
            values = {key: answers.get(ind.id) for key, answers in judges.items()}
            fractions = judge_fractions(ind, values, memo, categories.get(response["unit"]))
            if len(fractions) < 2:
                continue
            spread = max(fractions.values()) - min(fractions.values())
            if spread > limit:
                rows = tuple((key, values[key], fractions[key]) for key in sorted(fractions, key=_order))
                flags.append(Flag(response["unit"], ind.id, rows, response["self"].get(ind.id),
                                  spread, latest.get((response["unit"], ind.id))))
    return flags


def _order(key: str):
    return (len(key), key)   # J2 before J10


def latest_moderations(session, period) -> dict[tuple[str, str], Moderation]:
    """The moderation that counts for each (unit, indicator) of the period."""
    out = {}
    for mod in session.scalars(select(Moderation).where(Moderation.period_id == period.id)
                               .order_by(Moderation.id)):
        out[(mod.unit_code, mod.indicator_id)] = mod
    return out


def moderate(session, period, unit_code: str, indicator_id: str, raw, reason: str, user, *,
             source: str = "disagreement", objection=None) -> Moderation:
    """Record a moderated value (typed like the questionnaire's answer, parsed by
    ``parse_typed``) with a reason; from now on it is the indicator's verified value.

    Checked now (``permissions.can_record_moderation``): a lead judge only on a flagged
    disagreement of a unit they have no conflict with; outside a flag the admin only."""
    check_not_archived(period)
    unit = session.get(WorkUnit, unit_code)
    if unit is None:
        raise Invalid(_("Unknown work unit."))
    flagged = is_admin(user) or any((f.unit_code, f.indicator_id) == (unit_code, indicator_id)
                                    for f in disagreements(session, period))
    require(can_record_moderation(user, period, unit, flagged),
            _("Only the admin can record a moderated value outside a flagged disagreement; a "
              "lead judge moderates the flagged disagreements of units without a conflict."))
    rubric = rubric_for(period)
    if not rubric.has_indicator(indicator_id) or not rubric.indicator(indicator_id).judged:
        raise Invalid(_("Unknown indicator."))
    sub = session.scalars(select(Submission).where(Submission.period_id == period.id,
                                                   Submission.unit_code == unit_code)).first()
    if sub is None or sub.status != "submitted":
        raise Conflict(_("Only an indicator of a submitted questionnaire can be moderated."))
    reason = (reason or "").replace("\r\n", "\n").strip()
    if not reason:
        raise Invalid(_("Give the reason for the moderated value."), details={"reason": "required"})
    if len(reason) > MAX_REASON:
        raise Invalid(_("The reason is too long (at most %(num)d characters).", num=MAX_REASON),
                      details={"reason": "too long"})
    try:
        value = parse_typed(rubric.indicator(indicator_id), raw)
    except AnswerError as exc:
        raise Invalid(str(exc), details={"value": str(exc)}) from None
    if value is None:
        raise Invalid(_("Enter the moderated value."), details={"value": "required"})
    previous = latest_moderations(session, period).get((unit_code, indicator_id))
    mod = Moderation(period_id=period.id, unit_code=unit_code, indicator_id=indicator_id,
                     value=wrap(value), reason=reason, source=source,
                     objection_id=getattr(objection, "id", None), created_by=getattr(user, "id", None))
    session.add(mod)
    session.flush()
    audit.record("moderation.record", mod, user=user, indicator=indicator_id, value=value,
                 previous=unwrap(previous.value) if previous else None, reason=reason, source=source)
    return mod


def judge_names(session, flags) -> dict[str, User]:
    """The judges behind the keys "J<id>" of the flags (for the admin only)."""
    ids = {int(key[1:]) for f in flags for key, _v, _f in f.judges}
    if not ids:
        return {}
    return {f"J{u.id}": u for u in session.scalars(select(User).where(User.id.in_(ids)))}


def judges_notes(session, period, flags) -> dict[tuple[str, str, str], dict]:
    """(unit code, indicator id, judge key "J<id>") -> what the judge wrote beside the value
    of a flagged indicator: ``comment`` and ``checked`` (the sampled dates they checked, as
    dates, for an indicator with ``sample``), for the flags shown; one query. A moderator
    reads these beside the values."""
    pairs = {(f.unit_code, f.indicator_id) for f in flags}
    if not pairs:
        return {}
    rows = session.execute(
        select(JudgeAssignment.unit_code, JudgeAssignment.judge_id, Verification.indicator_id,
               Verification.comment, Verification.checked)
        .join(Verification, Verification.assignment_id == JudgeAssignment.id)
        .where(JudgeAssignment.period_id == period.id, JudgeAssignment.active.is_(True),
               JudgeAssignment.unit_code.in_({code for code, _i in pairs}),
               Verification.indicator_id.in_({ind for _c, ind in pairs})))
    notes = {}
    for code, judge_id, indicator_id, comment, checked in rows:
        dates = sorted(date.fromisoformat(d) for d in (checked or {}).get("dates") or [])
        if (code, indicator_id) in pairs and (comment or dates):
            notes[(code, indicator_id, f"J{judge_id}")] = {"comment": comment or "",
                                                           "checked": dates}
    return notes


def units_by_code(session, codes) -> dict[str, WorkUnit]:
    codes = set(codes)
    if not codes:
        return {}
    return {u.code: u for u in session.scalars(select(WorkUnit).where(WorkUnit.code.in_(codes)))}

