"""A unit's questionnaire: finding or creating it, saving one page of the web form, and its
self-score (from scoring/, through assessment/scores.py).

The rest lives by concern: ``editability`` (deadlines, who may change it until when, the
version lock), ``answers`` (saving answers and typed texts) and ``submission`` (what
blocks submission, the integrity statement, submit)."""
from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import bindparam, func, select
from sqlalchemy.exc import IntegrityError

from .. import audit, scores
from ..models import Evidence, Submission, WorkUnit
from . import Invalid, NotAllowed, OperationError
from . import evidence as evidence_ops
from .answers import save_answers
from .editability import lock_taken, takes_part


def get_submission(session, period, unit_code: str) -> Submission | None:
    """The unit's submission for the period, or None when it has not started."""
    return session.scalars(select(Submission).where(Submission.period_id == period.id,
                                                    Submission.unit_code == unit_code)).first()


# the indicator ids of a questionnaire's evidence, one per line (no indicator id holds one)
_EVIDENCE_IDS = (select(func.aggregate_strings(Evidence.indicator_id, "\n"))
                 .where(Evidence.submission_id == Submission.id)
                 .correlate(Submission).scalar_subquery())
# built once (SQLAlchemy keeps their keys and compiled forms): every API request reads one
_FOR_API = select(Submission, _EVIDENCE_IDS).where(
    Submission.period_id == bindparam("period_id"), Submission.unit_code == bindparam("unit_code"))
_FOR_API_LOCKED = (_FOR_API.with_for_update(of=Submission)
                   .execution_options(populate_existing=True))


def submission_for_api(session, period, unit_code: str, *, for_update: bool = False
                       ) -> tuple[Submission | None, frozenset]:
    """(the unit's submission or None, the indicator ids that have evidence) in one query:
    what ``missing_items`` needs without loading the evidence rows. With ``for_update`` the
    row is locked until the transaction ends (``editability.lock_taken``): a save or submit
    of it cannot then lose a race, and a concurrent one waits and sees this one's version."""
    row = session.execute(_FOR_API_LOCKED if for_update else _FOR_API,
                          {"period_id": period.id, "unit_code": unit_code}).first()
    if row is None:
        return None, frozenset()
    sub, ids = row
    if for_update:
        lock_taken(session, sub)
    return sub, frozenset(ids.split("\n")) if ids else frozenset()


def get_or_create_submission(session, period, unit_code: str, user, *,
                             found: Submission | None = None) -> Submission:
    """The unit's submission (``found``, when the caller has read it already), created as
    an empty draft (version 1) when missing."""
    sub = found or get_submission(session, period, unit_code)
    if sub is not None:
        return sub
    unit = session.get(WorkUnit, unit_code)
    if not takes_part(period, unit):
        raise NotAllowed(_("This work unit does not take part in %(period)s.", period=period.title))
    sub = Submission(period_id=period.id, unit_code=unit_code, status="draft", answers={},
                     pending={}, updated_by=getattr(user, "id", None))
    try:
        with session.begin_nested():   # a concurrent first save may create it at the same time
            session.add(sub)
    except IntegrityError:
        sub = get_submission(session, period, unit_code)
        if sub is None:
            raise
        return sub
    audit.record("submission.create", sub, user=user)
    return sub


def self_scores(rubric, sub: Submission | None) -> dict:
    """{"total": Decimal, "aspects": {aspect id: Decimal}}, computed by scoring.score."""
    if sub is None:
        return scores.zero_scores(rubric)
    return scores.self_scores_for(rubric, sub.unit_code, sub.answers)


def save_page(session, sub: Submission, answers: dict, raw_pending: dict, version: int, user, *,
              files=(), links=(), delete=(), emptied_links=(), upload_dir: str,
              max_bytes: int) -> dict:
    """Save one aspect page based on ``version``: the answers it changes, then new files and
    links and deletions of its evidence, merged per indicator (an indicator whose answer or
    evidence someone else changed since ``version`` is a Conflict, and nothing is saved).
    Answers refused as a whole (Conflict, Closed) change nothing; a refused file or link
    does not undo the answers: its message is returned, by form field ("file-<indicator>",
    "link-<indicator>" or "evidence"). A link refused as not valid is also kept
    (``sub.pending_links``, like an invalid answer) until a valid link replaces it or the
    person empties its field (``emptied_links``: indicator ids)."""
    own = {ev.id: ev for ev in sub.evidence}
    if any(evidence_id not in own for evidence_id in delete):
        raise NotAllowed(_("This evidence belongs to another questionnaire."))
    touched = {}
    for evidence_id in delete:
        touched[own[evidence_id].indicator_id] = _("removed: %(name)s", name=_evidence_name(own[evidence_id]))
    for indicator_id, filename, _data in files:
        touched[indicator_id] = _("added: %(name)s", name=filename)
    for indicator_id, url in links:
        touched[indicator_id] = _("added: %(name)s", name=url[:200])
    # links that are not valid are kept (with the answers' change when there is one: one new
    # version per save)
    problems, valid_links = {}, []
    kept = dict(sub.pending_links or {})
    for indicator_id, url in links:
        try:
            evidence_ops.check_url(url)
        except Invalid as exc:
            kept[indicator_id] = evidence_ops.kept_link(url, exc.message)
            problems.setdefault(f"link-{indicator_id}", []).append(f"{url[:200]}: {exc.message}")
        else:
            valid_links.append((indicator_id, url))
    for indicator_id in emptied_links:
        kept.pop(indicator_id, None)
    save_answers(session, sub, answers, raw_pending, version, user, evidence=touched,
                 pending_links=kept)   # a change of the kept links alone is a new version too
    for evidence_id in delete:
        evidence_ops.delete_evidence(session, own[evidence_id], user)
    for indicator_id, filename, data in files:
        try:
            evidence_ops.add_file(session, sub, indicator_id, filename, data, user,
                                  upload_dir=upload_dir, max_bytes=max_bytes)
        except OperationError as exc:
            problems.setdefault(f"file-{indicator_id}", []).append(f"{filename}: {exc.message}")
    for indicator_id, url in valid_links:
        evidence_ops.drop_invalid_link(sub, indicator_id)   # flushed with the link added
        try:
            evidence_ops.add_link(session, sub, indicator_id, url, user)
        except OperationError as exc:
            problems.setdefault(f"link-{indicator_id}", []).append(f"{url[:200]}: {exc.message}")
    session.flush()
    return problems


def _evidence_name(ev) -> str:
    return ev.url if ev.kind == "link" else ev.filename
