"""Submitting a questionnaire: what blocks it, the head's integrity statement, the submit
(and resubmit after a revision) with its snapshot of answers and evidence.

Evidence rule: evidence marked ``required`` in the rubric must be attached whenever the
answer earns something (a fraction above 0: "yes", a level above the first, a number in
a paying band, at least one option; for unscored text, any text; for a condition of entry,
"yes"). A "no", the first level, 0 or no option needs no evidence: there is nothing for a
judge to verify. A condition of entry must be answered, though it is not scored.
"""
from __future__ import annotations

import re

from flask_babel import force_locale, gettext as _
from sqlalchemy import select

from rubrics.model import Indicator
from scoring import AnswerError, answer_fraction

from .. import audit
from ..models import JudgeAssignment, RevisionRequest, Submission, SubmissionSnapshot, User
from ..models.types import utcnow
from ..rubric_store import rubric_for
from . import Invalid
from .answers import pending_message
from .evidence import link_message
from .editability import check_editable, check_version, revision_for, versioned_change
from .notices import _by_locale, notify, notify_submitted, path_for

NIP_DIGITS = 18


# ---- what blocks submission -------------------------------------------------------------

def earns_something(indicator: Indicator, value, category: str | None = None) -> bool:
    """Whether an answer earns more than 0 for a unit of ``category`` (whose bands apply), so
    that required evidence applies; "tidak-berlaku" earns nothing (its fraction is None)."""
    if value is None:
        return False
    if indicator.type == "text":
        return bool(str(value).strip())
    if indicator.entry:     # a condition of entry met (Ya) needs its document, as if it paid
        return value is True
    try:
        fraction = answer_fraction(indicator, value, category)
    except AnswerError:
        return False
    return fraction is not None and fraction > 0


def missing_items(rubric, sub: Submission | None, with_evidence=None) -> list[tuple[str, str]]:
    """What blocks submission, in rubric order: (indicator id, reason for people).
    ``with_evidence``: the indicator ids that have evidence, when the caller has them
    (``questionnaire.submission_for_api``); otherwise read from ``sub.evidence``."""
    answers = (sub.answers if sub else None) or {}
    pending = (sub.pending if sub else None) or {}
    links = (sub.pending_links if sub else None) or {}
    if with_evidence is None:
        with_evidence = {ev.indicator_id for ev in sub.evidence} if sub else set()
    category = sub.unit.level if sub and sub.unit else None   # the unit's bands apply
    out = []
    # translated once per call, not once per indicator (a new questionnaire lists them all)
    not_answered, evidence_missing = _("not answered"), _("required evidence is missing")
    for ind in rubric.indicators:
        if ind.id in pending:
            out.append((ind.id, _("the value typed is not valid: %(error)s",
                                  error=pending_message(ind, pending[ind.id]))))
        elif ind.id in links:
            out.append((ind.id, _("the evidence link typed is not valid: %(error)s",
                                  error=link_message(links[ind.id]))))
        elif (ind.scored or ind.entry) and answers.get(ind.id) is None:   # entry: Ya or Tidak
            out.append((ind.id, not_answered))
        elif (ind.evidence == "required" and ind.id not in with_evidence
              and earns_something(ind, answers.get(ind.id), category)):
            out.append((ind.id, evidence_missing))
    return out


# ---- the head's statement ---------------------------------------------------------------

def statement_errors(head_name: str, head_position: str, head_nip: str, agreed: bool) -> dict:
    """Problems with the head's integrity statement, by field."""
    errors = {}
    if not (head_name or "").strip():
        errors["head_name"] = _("Enter the name of the head of the work unit.")
    if not (head_position or "").strip():
        errors["head_position"] = _("Enter the position of the head of the work unit.")
    if not re.fullmatch(r"\d{%d}" % NIP_DIGITS, normalise_nip(head_nip)):
        errors["head_nip"] = _("The NIP has exactly 18 digits.")
    if agreed is not True:
        errors["agreed"] = _("The statement must be agreed to.")
    return errors


def normalise_nip(nip: str | None) -> str:
    """NIPs are often written in groups ("19700101 199503 1 001"): spaces are dropped."""
    return re.sub(r"[\s.\-]", "", nip or "")


# ---- submitting ---------------------------------------------------------------------------

def submit(session, sub: Submission, version: int, head_name: str, head_position: str,
           head_nip: str, agreed: bool, user) -> Submission:
    """Submit a complete questionnaire with the head's integrity statement; it is locked
    afterwards and a snapshot of answers and evidence is kept."""
    check_version(session, sub, version)
    check_editable(sub)
    missing = missing_items(rubric_for(sub.period), sub)
    if missing:
        raise Invalid(_("The questionnaire cannot be submitted yet: %(num)d items are missing.",
                        num=len(missing)), details=dict(missing))
    errors = statement_errors(head_name, head_position, head_nip, agreed)
    if errors:
        raise Invalid(_("The integrity statement is not complete."), details=errors)
    now, user_id = utcnow(), getattr(user, "id", None)
    resubmission = sub.status == "returned"
    with versioned_change(session, sub, int(version)):
        sub.status, sub.submitted_at, sub.submitted_by = "submitted", now, user_id
        sub.head_name, sub.head_position = head_name.strip()[:200], head_position.strip()[:200]
        sub.head_nip = normalise_nip(head_nip)
        sub.updated_at, sub.updated_by = now, user_id
    snapshot = take_snapshot(session, sub, "resubmit" if resubmission else "submit", user_id)
    audit.record("submission.submit", sub, user=user, version=sub.version, snapshot=snapshot.id,
                 head_name=sub.head_name, head_position=sub.head_position, head_nip=sub.head_nip,
                 statement_agreed=True)
    # the receipt goes out whichever way the questionnaire was submitted (page or API)
    notify_submitted(session, sub, user)
    if resubmission:
        mark_resubmitted(session, sub, user)
    return sub


def take_snapshot(session, sub: Submission, kind: str, user_id) -> SubmissionSnapshot:
    """Keep the submission's answers and evidence as they are now (submit, resubmit, returned)."""
    snapshot = SubmissionSnapshot(submission_id=sub.id, kind=kind, version=sub.version,
                                  answers=dict(sub.answers or {}), evidence=evidence_list(sub),
                                  created_by=user_id)
    session.add(snapshot)
    session.flush()
    return snapshot


def evidence_list(sub: Submission) -> list[dict]:
    """The evidence as plain data (for snapshots and the API)."""
    return [{"id": ev.id, "indicator": ev.indicator_id, "kind": ev.kind, "url": ev.url,
             "filename": ev.filename, "content_type": ev.content_type, "size": ev.size,
             "sha256": ev.sha256, "created_at": ev.created_at.isoformat() if ev.created_at else None}
            for ev in sub.evidence]


def mark_resubmitted(session, sub: Submission, user) -> RevisionRequest | None:
    """Record that a returned questionnaire was submitted again (called by ``submit``) and
    tell the judges assigned to it that verification can resume."""
    request = revision_for(sub, session)
    if request is None or request.resubmitted_at is not None:
        return None
    request.resubmitted_at = sub.submitted_at or utcnow()
    session.flush()
    audit.record("submission.resubmit", sub, user=user, revision=request.id, version=sub.version)
    judges = session.scalars(select(User).join(JudgeAssignment, JudgeAssignment.judge_id == User.id)
                             .where(JudgeAssignment.period_id == sub.period_id,
                                    JudgeAssignment.unit_code == sub.unit_code,
                                    JudgeAssignment.active.is_(True))).all()
    creator = session.get(User, request.created_by) if request.created_by else None
    link = path_for("moderation.versions", period_slug=sub.period.slug, code=sub.unit_code)
    for locale, users in _by_locale(list(judges) + ([creator] if creator else [])).items():
        with force_locale(locale):
            title = _("Revised questionnaire submitted: %(unit)s", unit=sub.unit.name)
            body = _("%(unit)s submitted its revised questionnaire for %(period)s. Verification "
                     "can resume; the changes are shown beside the returned version.",
                     unit=sub.unit.name, period=sub.period.title)
        notify(session, users, "resubmitted", title, body, link)
    return request
