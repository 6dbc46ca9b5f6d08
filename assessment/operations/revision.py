"""Returning a submitted questionnaire for revision (once), its resubmission, and the two
versions side by side.

A return is possible while verification is open (``Period.verification_closes_at`` unset or
in the future), once per submission, with a reason for at least one indicator and a new
deadline in the future (and before verification closes). The unit may then edit its
questionnaire until that deadline (``operations.questionnaire.refusal`` asks
``revision_refusal``) and submits it again; the snapshots keep the returned version and
the resubmitted one. While a submission is returned the judges' verification of it is
paused (``is_returned``); the export only ever holds submitted questionnaires."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import force_locale, gettext as _, ngettext
from sqlalchemy import select

from .. import audit
from ..formatting import datetime_in_zones
from ..models import RevisionRequest, Submission, SubmissionSnapshot, WorkUnit
from ..models.types import utcnow
from ..rubric_store import rubric_for
from . import Closed, Conflict, Invalid
from ..permissions import can_return, require
from .editability import check_not_archived, revision_for, verification_open
from .notices import _by_locale, notify, notify_judges_of_return, path_for, unit_operators
from .submission import evidence_list, take_snapshot

MAX_REASON = 2000


def clean_reasons(rubric, reasons: dict) -> dict:
    """The non-empty reasons, in rubric order; Invalid for an unknown indicator or none at all."""
    unknown = sorted(k for k in reasons if not rubric.has_indicator(k))
    if unknown:
        raise Invalid(_("Unknown indicator: %(ids)s.", ids=", ".join(unknown)))
    out = {}
    for ind in rubric.indicators:
        text = (reasons.get(ind.id) or "").replace("\r\n", "\n").strip()
        if len(text) > MAX_REASON:
            raise Invalid(_("A reason is too long (at most %(num)d characters).", num=MAX_REASON),
                          details={ind.id: "too long"})
        if text:
            out[ind.id] = text
    if not out:
        raise Invalid(_("Give a reason for at least one indicator that the unit must fix."))
    return out


def return_for_revision(session, sub: Submission, reasons: dict, closes_at: datetime, user,
                        now: datetime | None = None) -> RevisionRequest:
    """Send a submitted questionnaire back once, with a reason per indicator and a new
    deadline; snapshot the returned version and notify the unit's operators."""
    now = now or utcnow()
    period, zone = sub.period, sub.unit.time_zone
    check_not_archived(period)
    require(can_return(session, user, period, sub.unit),
            _("Only the admin, or a judge of an active assignment to this unit without a "
              "conflict of interest, can return its questionnaire."))
    earlier = revision_for(sub, session)
    if earlier is not None:
        raise Conflict(_("This questionnaire was already returned for revision on %(when)s. "
                         "A questionnaire can be returned only once.",
                         when=datetime_in_zones(earlier.created_at, zone)))
    if sub.status != "submitted":
        raise Conflict(_("Only a submitted questionnaire can be returned for revision."))
    if not verification_open(period, now):
        raise Closed(_("Verification closed on %(when)s; questionnaires can no longer be returned.",
                       when=datetime_in_zones(period.verification_closes_at, zone)))
    cleaned = clean_reasons(rubric_for(period), reasons or {})
    _check_deadline(period, closes_at, now, zone)
    user_id = getattr(user, "id", None)
    sub.status, sub.updated_at, sub.updated_by = "returned", now, user_id
    session.flush()
    snapshot = take_snapshot(session, sub, "returned", user_id)
    request = RevisionRequest(submission_id=sub.id, reasons=cleaned, closes_at=closes_at,
                              created_by=user_id, created_at=now)
    session.add(request)
    session.flush()
    audit.record("submission.return", sub, user=user, reasons=cleaned, snapshot=snapshot.id,
                 closes_at=closes_at.isoformat(), version=sub.version)
    _notify_returned(session, sub, request)
    return request


def _check_deadline(period, closes_at: datetime | None, now: datetime, zone: str) -> None:
    if closes_at is None or closes_at <= now:
        raise Invalid(_("The new deadline must be in the future."))
    ends = period.verification_closes_at
    if ends is not None and closes_at >= ends:
        raise Invalid(_("The new deadline must be before verification closes (%(when)s).",
                        when=datetime_in_zones(ends, zone)))


def _notify_returned(session, sub: Submission, request: RevisionRequest) -> None:
    unit, period = sub.unit, sub.period
    link = path_for("questionnaire.overview", period_slug=period.slug)
    for locale, users in _by_locale(unit_operators(session, sub.unit_code)).items():
        with force_locale(locale):
            title = _("Questionnaire returned for revision: %(period)s", period=period.title)
            body = ngettext(
                "The judges returned the questionnaire of %(unit)s for revision: %(num)d "
                "indicator needs fixing. Correct it and submit again by %(when)s.",
                "The judges returned the questionnaire of %(unit)s for revision: %(num)d "
                "indicators need fixing. Correct them and submit again by %(when)s.",
                len(request.reasons), unit=unit.name,
                when=datetime_in_zones(request.closes_at, unit.time_zone))
        notify(session, users, "returned", title, body, link)
    notify_judges_of_return(session, sub)


# ---- the two versions side by side ------------------------------------------------------------

@dataclass(frozen=True)
class Change:
    """One indicator whose answer or evidence differs between two versions."""

    indicator_id: str
    before: object
    after: object
    evidence_before: tuple[str, ...]
    evidence_after: tuple[str, ...]
    reason: str


def snapshots(session, sub: Submission) -> list[SubmissionSnapshot]:
    return session.scalars(select(SubmissionSnapshot).where(
        SubmissionSnapshot.submission_id == sub.id).order_by(SubmissionSnapshot.id)).all()


def versions(session, sub: Submission) -> tuple[SubmissionSnapshot | None, SubmissionSnapshot | None]:
    """The returned version and the newest later one (the resubmitted version, or None)."""
    rows = snapshots(session, sub)
    returned = next((s for s in reversed(rows) if s.kind == "returned"), None)
    if returned is None:
        return None, None
    later = [s for s in rows if s.id > returned.id and s.kind != "returned"]
    return returned, (later[-1] if later else None)


def _evidence_names(snapshot_evidence, indicator_id) -> tuple[str, ...]:
    return tuple(sorted((e.get("filename") or e.get("url") or "") for e in snapshot_evidence or ()
                        if e.get("indicator") == indicator_id))


def changes(rubric, before: dict, after: dict, evidence_before=(), evidence_after=(),
            reasons: dict | None = None) -> list[Change]:
    """Indicators (rubric order) whose answer or evidence differs, and every indicator that
    had a reason to change even when it did not."""
    reasons = reasons or {}
    out = []
    for ind in rubric.indicators:
        b, a = before.get(ind.id), after.get(ind.id)
        eb, ea = _evidence_names(evidence_before, ind.id), _evidence_names(evidence_after, ind.id)
        if b != a or eb != ea or ind.id in reasons:
            out.append(Change(ind.id, b, a, eb, ea, reasons.get(ind.id, "")))
    return out


def compare(session, sub: Submission) -> dict:
    """What the history page shows: the request, both versions and the changes between them
    (against the current answers while the unit is still revising)."""
    request = revision_for(sub, session)
    returned, resubmitted = versions(session, sub)
    rubric = rubric_for(sub.period)
    if returned is None:
        return {"revision": request, "returned": None, "resubmitted": None, "changes": []}
    after = resubmitted.answers if resubmitted else (sub.answers or {})
    after_evidence = resubmitted.evidence if resubmitted else evidence_list(sub)
    found = changes(rubric, returned.answers or {}, after, returned.evidence, after_evidence,
                    request.reasons if request else {})
    return {"revision": request, "returned": returned, "resubmitted": resubmitted, "changes": found}


def returned_units(session, period) -> list[tuple[Submission, RevisionRequest]]:
    """Every submission of the period that was returned, with its request (newest first)."""
    rows = session.execute(select(Submission, RevisionRequest)
                           .join(RevisionRequest, RevisionRequest.submission_id == Submission.id)
                           .join(WorkUnit, WorkUnit.code == Submission.unit_code)
                           .where(Submission.period_id == period.id)
                           .order_by(RevisionRequest.created_at.desc(), Submission.unit_code))
    return [(s, r) for s, r in rows]
