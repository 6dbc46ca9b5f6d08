"""Where a period stands: the one rule every page, API call, command and notice asks.

``period_state(period, now)`` gives the stage of the season (Persiapan -> Pengisian ->
Verifikasi -> Peringkat sementara & tahap dua -> Masa sanggah -> Penetapan -> Diumumkan)
with each stage's dates, and per unit whether its questionnaire may be changed now and
until when (extensions and revision deadlines included, by ``editability``).

``gates(session, period, now)`` lists what must hold before each step forward: a
provisional run, a final run, publication. ``check_gates`` refuses a step with every gate
that does not hold (``SeasonGate``, 409 in the API). Only two gates can be waived, and only
item by item with a reason in the audit log: a unit excluded from the ranking (it is then
exported as not assessed) and a disagreement accepted as it stands. The questionnaire window
and the masa sanggah are never waived."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session, object_session

from scoring import assessment_from_dict, score

from .. import audit
from ..formatting import datetime_in_zones
from ..models import (DisagreementAcceptance, JudgeAssignment, Objection, Period, Publication,
                      RevisionRequest, ScoringRun, Submission, UnitExclusion, User, WorkUnit)
from ..models.types import utcnow
from ..models.units import existing_on, opening_day
from ..rubric_store import rubric_for
from . import Conflict, Invalid, OperationError
from .editability import (check_not_archived, closes_at_for, deadline_for, is_open_for, refusal,
                          verification_open)
from ..permissions import is_admin, require
from .judging import setting
from .kept import kept
from .moderation import disagreements, units_by_code
from .runs import excluded_codes, export_exchange

STAGES = (("persiapan", _l("Preparation")),
          ("pengisian", _l("Filling in the questionnaire")),
          ("verifikasi", _l("Verification by judges")),
          ("peringkat", _l("Provisional ranking & stage two")),
          ("sanggah", _l("Objection period (masa sanggah)")),
          ("penetapan", _l("Final ranking")),
          ("diumumkan", _l("Announced")))
STAGE_IDS = tuple(key for key, _title in STAGES)
ACTIONS = ("provisional", "final", "publish")
MAX_REASON = 4000


class SeasonGate(OperationError):
    """A step of the season refused because some of its gates do not hold."""
    code, status = "season_gate", 409


# ---- where the period stands -------------------------------------------------------------------

@dataclass(frozen=True)
class Stage:
    id: str
    title: str
    starts: datetime | None
    ends: datetime | None
    current: bool
    done: bool


@dataclass(frozen=True)
class UnitWindow:
    """A unit's questionnaire now: editable or not (with the reason), and until when."""
    editable: bool
    until: datetime
    refusal: OperationError | None


@dataclass
class PeriodState:
    period: Period
    now: datetime
    stage: str
    stages: list[Stage] = field(default_factory=list)

    @property
    def title(self) -> str:
        return dict(STAGES)[self.stage]

    def at_least(self, stage: str) -> bool:
        return STAGE_IDS.index(self.stage) >= STAGE_IDS.index(stage)

    @property
    def open(self) -> bool:
        """Whether the questionnaire is open for everyone (the period's own window and the
        extensions for everyone)."""
        return is_open_for(self.period, None, self.now)

    def unit(self, unit: WorkUnit, sub: Submission | None = None) -> UnitWindow:
        """Whether the unit's questionnaire may be changed now, and its deadline."""
        return unit_window(self.period, unit, sub, self.now)

    def closes_for(self, unit_code: str | None) -> datetime:
        """The unit's closing time (the period's, or a later extension), before any return."""
        return closes_at_for(self.period, unit_code)

    def unit_open(self, unit_code: str | None) -> bool:
        """Whether the window (not a returned questionnaire's deadline) is open for the unit."""
        return is_open_for(self.period, unit_code, self.now)

    @property
    def latest_close(self) -> datetime:
        """The latest closing time any unit has (its own or extended)."""
        return max([self.period.closes_at] + [e.closes_at for e in self.period.extensions])

    @property
    def any_open(self) -> bool:
        """Opened, and still open for at least one unit."""
        return self.period.opens_at <= self.now < self.latest_close

    @property
    def opened(self) -> bool:
        return self.period.opens_at <= self.now

    @property
    def verification_open(self) -> bool:
        return verification_open(self.period, self.now)


def unit_window(period: Period, unit: WorkUnit, sub: Submission | None = None,
                now: datetime | None = None) -> UnitWindow:
    """``period_state(period, now).unit(unit, sub)`` without reading the season's runs and
    publication, which a unit's window does not depend on (the API answers it on every save)."""
    now = now or utcnow()
    problem = refusal(period, unit, sub, now)
    return UnitWindow(problem is None, deadline_for(period, unit.code, sub), problem)


def period_state(period: Period, now: datetime | None = None) -> PeriodState:
    """The stage of the season at ``now`` and the dates of every stage."""
    now = now or utcnow()
    runs, published = _facts(object_session(period), [period])[period.id]
    state = PeriodState(period, now, _stage(period, now, runs, published))
    state.stages = _stages(state, runs, published)
    return state


_FACTS = "period_state_facts"    # session.info: {period id: (runs, first publication)}


def prefetch_states(session, periods) -> None:
    """Read what ``period_state`` needs of several periods at once (two queries): a page
    listing periods asks for each one's state."""
    _facts(session, list(periods))


def _facts(session, periods) -> dict[int, tuple[dict[str, datetime], datetime | None]]:
    """Per period: the time of the first provisional and the first final run, and of the
    first publication; read once between two flushes of the session (a run or publication
    made in this transaction is seen at once)."""
    memo = session.info.setdefault(_FACTS, {})
    missing = [p.id for p in periods if p.id not in memo]
    if missing:
        runs: dict[int, dict] = {pid: {} for pid in missing}
        for pid, kind, at in session.execute(
                select(ScoringRun.period_id, ScoringRun.kind, func.min(ScoringRun.created_at))
                .where(ScoringRun.period_id.in_(missing))
                .group_by(ScoringRun.period_id, ScoringRun.kind)):
            runs[pid][kind] = at
        published: dict[int, datetime] = {}
        for pid, at in session.execute(select(Publication.period_id, Publication.published_at)
                                       .where(Publication.period_id.in_(missing))
                                       .order_by(Publication.id)):
            published.setdefault(pid, at)
        memo.update({pid: (runs[pid], published.get(pid)) for pid in missing})
    return memo


@event.listens_for(Session, "after_flush")
@event.listens_for(Session, "after_transaction_end")
def _forget_facts(session, *_args) -> None:
    session.info.pop(_FACTS, None)


def _stage(period, now, runs, published) -> str:
    latest = max([period.closes_at] + [e.closes_at for e in period.extensions])
    objection_open = (period.objection_opens_at is not None and period.objection_closes_at is not None
                      and period.objection_opens_at <= now < period.objection_closes_at)
    if published is not None:
        return "diumumkan"
    if "final" in runs or (period.objection_closes_at is not None and now >= period.objection_closes_at):
        return "penetapan"
    if objection_open:
        return "sanggah"
    if "provisional" in runs or not verification_open(period, now):
        return "peringkat"
    if now >= latest:
        return "verifikasi"
    return "pengisian" if now >= period.opens_at else "persiapan"


def _stages(state: PeriodState, runs, published) -> list[Stage]:
    period = state.period
    bounds = {"persiapan": (None, period.opens_at),
              "pengisian": (period.opens_at, state.latest_close),
              "verifikasi": (state.latest_close, period.verification_closes_at),
              "peringkat": (period.verification_closes_at or runs.get("provisional"),
                            period.objection_opens_at),
              "sanggah": (period.objection_opens_at, period.objection_closes_at),
              "penetapan": (period.objection_closes_at or runs.get("final"), published),
              "diumumkan": (published, None)}
    here = STAGE_IDS.index(state.stage)
    return [Stage(key, str(title), *bounds[key], current=n == here, done=n < here)
            for n, (key, title) in enumerate(STAGES)]


# ---- gates -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Gate:
    id: str
    action: str
    ok: bool
    count: int
    message: str
    waivable: bool = False
    link: tuple[str, dict] | None = None     # (endpoint, values) of the page that resolves it

    def as_json(self) -> dict:
        return {"id": self.id, "action": self.action, "ok": self.ok, "count": self.count,
                "message": self.message, "waivable": self.waivable}


def gates(session, period: Period, now: datetime | None = None,
          actions: tuple[str, ...] = ACTIONS) -> list[Gate]:
    """Every gate of the given steps, in season order, each with its count and message."""
    now = now or utcnow()
    out = []
    if "provisional" in actions:
        out.append(_questionnaire_gate(session, period, now))
    if "final" in actions:
        out += _final_gates(session, period, now)
    if "publish" in actions:
        final = session.scalars(select(ScoringRun.id).where(
            ScoringRun.period_id == period.id, ScoringRun.kind == "final")).first()
        out.append(Gate("final_run", "publish", final is not None, 0 if final else 1,
                        _("A final ranking exists.") if final else
                        _("No final ranking has been computed yet."),
                        link=("results.runs", {"slug": period.slug})))
    return out


def check_gates(session, period: Period, action: str, now: datetime | None = None) -> None:
    """Raise SeasonGate listing every failing gate of ``action`` (nothing is changed)."""
    check_not_archived(period)
    failing = [g for g in gates(session, period, now, (action,)) if not g.ok]
    if failing:
        raise SeasonGate(_("This step is not possible yet: %(problems)s",
                           problems=" ".join(g.message for g in failing)),
                         details={"gates": [g.as_json() for g in failing]})


def _questionnaire_gate(session, period, now) -> Gate:
    """Every unit's questionnaire closed: the period's time, each extension, each return."""
    codes = session.scalars(select(WorkUnit.code).where(
        WorkUnit.active.is_(True), WorkUnit.level.in_(period.levels),
        existing_on(opening_day(period.opens_at))))
    still = [code for code in codes if is_open_for(period, code, now)]
    returned = session.scalars(select(RevisionRequest.closes_at).join(Submission).where(
        Submission.period_id == period.id, Submission.status == "returned",
        RevisionRequest.closes_at > now)).all()
    count = len(still) + len(returned)
    last = max([closes_at_for(period, code) for code in still] + list(returned), default=None)
    message = (_("Every unit's questionnaire is closed.") if not count else ngettext(
        "%(num)d work unit can still change its questionnaire (until %(when)s).",
        "%(num)d work units can still change their questionnaire (until %(when)s).",
        count, when=datetime_in_zones(last)))
    return Gate("questionnaire_closed", "provisional", not count, count, message,
                link=("admin.period", {"period_slug": period.slug}))


def _final_gates(session, period, now) -> list[Gate]:
    out = []
    closed = not verification_open(period, now) and period.verification_closes_at is not None
    out.append(Gate("verification_closed", "final", closed, 0 if closed else 1,
                    _("Verification closed on %(when)s.", when=datetime_in_zones(
                        period.verification_closes_at)) if closed else
                    _("Verification has no closing time yet.") if period.verification_closes_at is None
                    else _("Verification is open until %(when)s.",
                           when=datetime_in_zones(period.verification_closes_at)),
                    link=("assign.settings", {"period_slug": period.slug})))
    left = kept(session, period, "unverified_units", lambda: unverified_units(session, period))
    out.append(Gate("verification_complete", "final", not left, len(left),
                    _("Every submitted unit is verified by its judges or excluded.") if not left
                    else ngettext("%(num)d work unit is not completely verified yet.",
                                  "%(num)d work units are not completely verified yet.", len(left)),
                    waivable=True, link=("stages.exclusions", {"period_slug": period.slug})))
    missing = kept(session, period, "unscored_shortlist",
                   lambda: unscored_shortlist(period, export_exchange(session, period)))
    out.append(Gate("stage_two", "final", not missing, len(missing),
                    _("Stage two is scored for the whole shortlist.") if not missing
                    else ngettext("%(num)d shortlisted unit has no stage-two score yet.",
                                  "%(num)d shortlisted units have no stage-two score yet.",
                                  len(missing)),
                    link=("season.stage", {"period_slug": period.slug})))
    out.append(_objection_window_gate(period, now))
    pending = kept(session, period, "pending_objections", lambda: session.scalar(
        select(func.count(Objection.id)).where(Objection.period_id == period.id,
                                               Objection.status == "pending")))
    out.append(Gate("objections_decided", "final", not pending, pending,
                    _("Every objection is decided.") if not pending
                    else ngettext("%(num)d objection is not decided yet.",
                                  "%(num)d objections are not decided yet.", pending),
                    link=("season.objections", {"period_slug": period.slug})))
    flags = kept(session, period, "open_flags",
                 lambda: len(open_flags(session, period, disagreements(session, period))))
    out.append(Gate("disagreements", "final", not flags, flags,
                    _("Every disagreement is moderated or accepted.") if not flags
                    else ngettext("%(num)d disagreement is neither moderated nor accepted.",
                                  "%(num)d disagreements are neither moderated nor accepted.",
                                  flags),
                    waivable=True, link=("moderation.flags", {"period_slug": period.slug})))
    return out


def _objection_window_gate(period, now) -> Gate:
    opens, closes = period.objection_opens_at, period.objection_closes_at
    if opens is None or closes is None:
        message, ok = _("No masa sanggah has been set."), False
    elif now < closes:
        message, ok = _("The masa sanggah is not over: it closes on %(when)s.",
                        when=datetime_in_zones(closes)), False
    else:
        message, ok = _("The masa sanggah was held and closed on %(when)s.",
                        when=datetime_in_zones(closes)), True
    return Gate("objection_period", "final", ok, 0 if ok else 1, message,
                link=("assign.settings", {"period_slug": period.slug}))


# ---- what the final gates count --------------------------------------------------------------

def admins_by_id(session) -> dict[int, User]:
    """The administrators by id: who made an exclusion or an acceptance, on the waiver pages."""
    return {u.id: u for u in session.scalars(select(User).filter_by(role="admin"))}


def not_assessed(session, run) -> list[dict]:
    """Units excluded from the run's period by the time it was computed, with the reason: the
    results show them as not assessed (they are in neither the ranking nor "not submitted")."""
    rows = [e for e in exclusions(session, run.period) if e.created_at <= run.created_at]
    units = units_by_code(session, [e.unit_code for e in rows])
    return [{"code": e.unit_code, "name": units[e.unit_code].name if e.unit_code in units else e.unit_code,
             "reason": e.reason} for e in rows]


def exclusions(session, period: Period) -> list[UnitExclusion]:
    return session.scalars(select(UnitExclusion).where(UnitExclusion.period_id == period.id)
                           .order_by(UnitExclusion.unit_code)).all()


def unverified_units(session, period: Period) -> list[dict]:
    """Submitted, not excluded units with fewer than K completed judges:
    [{"code", "completed", "needed"}] in code order."""
    needed = int(setting(period, "judges_per_unit"))
    submitted = set(session.scalars(select(Submission.unit_code).where(
        Submission.period_id == period.id, Submission.status == "submitted")))
    done = dict(session.execute(select(JudgeAssignment.unit_code, func.count(JudgeAssignment.id))
                                .where(JudgeAssignment.period_id == period.id,
                                       JudgeAssignment.active.is_(True),
                                       JudgeAssignment.completed_at.is_not(None))
                                .group_by(JudgeAssignment.unit_code)).all())
    left = submitted - excluded_codes(session, period)
    return [{"code": code, "completed": done.get(code, 0), "needed": needed}
            for code in sorted(left) if done.get(code, 0) < needed]


def unscored_shortlist(period: Period, doc: dict) -> list[str]:
    """Codes of units the rules send to a later stage that no judge has scored there."""
    rubric = rubric_for(period)
    result = score(rubric, assessment_from_dict(doc))
    stages = {r["unit"]: r.get("stages") or {} for r in doc["responses"]}
    first = rubric.stages[0].id
    return [row.unit.code for row in result.ranking
            if row.stage_reached != first and not stages.get(row.unit.code, {}).get(row.stage_reached)]


def acceptances(session, period: Period) -> dict[tuple[str, str], DisagreementAcceptance]:
    return {(a.unit_code, a.indicator_id): a for a in session.scalars(
        select(DisagreementAcceptance).where(DisagreementAcceptance.period_id == period.id))}


def accepted_keys(session, period: Period) -> set[tuple[str, str]]:
    """(unit, indicator) of every disagreement accepted as it stands (keys only: a page
    marking its flags needs no more)."""
    return {(unit, indicator) for unit, indicator in session.execute(
        select(DisagreementAcceptance.unit_code, DisagreementAcceptance.indicator_id)
        .where(DisagreementAcceptance.period_id == period.id))}


def open_flags(session, period: Period, flags) -> list:
    """Flags neither moderated nor accepted as they stand."""
    accepted = accepted_keys(session, period)
    return [f for f in flags if not f.resolved and (f.unit_code, f.indicator_id) not in accepted]


# ---- waivers, one item at a time with a reason -----------------------------------------------

def _reason(text) -> str:
    reason = (text or "").replace("\r\n", "\n").strip()
    if not reason:
        raise Invalid(_("Give the reason."), details={"reason": "required"})
    if len(reason) > MAX_REASON:
        raise Invalid(_("The reason is too long (at most %(num)d characters).", num=MAX_REASON),
                      details={"reason": "too long"})
    return reason


def exclude_unit(session, period: Period, unit_code: str, reason: str, user) -> UnitExclusion:
    """Exclude a submitted unit from the ranking (shown as not assessed), with the reason."""
    check_not_archived(period)
    require(is_admin(user))
    reason = _reason(reason)
    sub = session.scalars(select(Submission).where(Submission.period_id == period.id,
                                                   Submission.unit_code == unit_code)).first()
    if sub is None or sub.status != "submitted":
        raise Invalid(_("Only a unit with a submitted questionnaire can be excluded."))
    if unit_code in excluded_codes(session, period):
        raise Conflict(_("This unit is already excluded."))
    row = UnitExclusion(period_id=period.id, unit_code=unit_code, reason=reason,
                        created_by=getattr(user, "id", None))
    session.add(row)
    session.flush()
    audit.record("season.exclude_unit", row, user=user, period_id=period.id,
                 unit_code=unit_code, reason=reason)
    return row


def accept_disagreement(session, period: Period, unit_code: str, indicator_id: str, reason: str,
                        user) -> DisagreementAcceptance:
    """Accept one open disagreement as it stands (the judges' values count), with the reason."""
    check_not_archived(period)
    require(is_admin(user))
    reason = _reason(reason)
    flag = next((f for f in disagreements(session, period)
                 if f.unit_code == unit_code and f.indicator_id == indicator_id), None)
    if flag is None:
        raise Invalid(_("There is no disagreement on this indicator."))
    if flag.resolved or (unit_code, indicator_id) in acceptances(session, period):
        raise Conflict(_("This disagreement is already moderated or accepted."))
    values = {key: value for key, value, _fraction in flag.judges}
    row = DisagreementAcceptance(period_id=period.id, unit_code=unit_code,
                                 indicator_id=indicator_id, values=values, reason=reason,
                                 created_by=getattr(user, "id", None))
    session.add(row)
    session.flush()
    audit.record("season.accept_disagreement", row, user=user, period_id=period.id,
                 unit_code=unit_code, indicator=indicator_id, values=values, reason=reason)
    return row
