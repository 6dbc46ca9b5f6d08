"""A unit's questionnaire: creating it, saving answers under optimistic locking, checking
what blocks submission, submitting with the head's integrity statement, and its
self-score (from scoring/, through assessment/scores.py).

Versions: a unit with no submission yet is at version 1 (``get_or_create_submission``
creates it at 1); every save or submit raises it by one. Callers pass the version the
person loaded; a different current version is a Conflict and nothing is changed.

Evidence rule: evidence marked ``required`` in the rubric must be attached whenever the
answer earns something (a fraction above 0: "yes", a level above the first, a number in
a paying band, at least one option; for unscored text, any text). A "no", the first level,
0 or no option needs no evidence: there is nothing for a judge to verify.
"""
from __future__ import annotations

import re
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from rubrics.model import Indicator
from scoring import AnswerError, answer_fraction, check_answer
from scoring.answers import NumberTextError, parse_number_text

from .. import audit, scores
from ..formatting import datetime_in_zones
from ..models import Submission, SubmissionSnapshot, User, WorkUnit
from ..models.types import utcnow
from ..rubric_store import rubric_for
from .notices import notify_submitted
from . import Closed, Conflict, Invalid, NotAllowed
from .periods import closes_at_for

MAX_TEXT = 20000
# numbers people count (staff, posts, events): anything larger is a typo or an attack, and
# beyond what pages and spreadsheets can show (Excel holds at most about 1e308)
MAX_NUMBER = 10**12
NIP_DIGITS = 18
YES = {"ya", "yes", "y", "true", "benar", "1"}
NO = {"tidak", "no", "n", "false", "salah", "0"}
NONE_OF_THESE = "-"   # a choice answered with no option at all (an empty list)


# ---- loading and creating ---------------------------------------------------------------

def get_submission(session, period, unit_code: str) -> Submission | None:
    """The unit's submission for the period, or None when it has not started."""
    return session.scalars(select(Submission).where(Submission.period_id == period.id,
                                                    Submission.unit_code == unit_code)).first()


def takes_part(period, unit: WorkUnit) -> bool:
    """Whether the unit's level is one of the period's levels."""
    return bool(unit and unit.active and unit.level in (period.levels or []))


def get_or_create_submission(session, period, unit_code: str, user) -> Submission:
    """The unit's submission, created as an empty draft (version 1) when missing."""
    sub = get_submission(session, period, unit_code)
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


# ---- state checks -----------------------------------------------------------------------

def refusal(period, unit: WorkUnit, sub: Submission | None = None,
            now: datetime | None = None):
    """Why the unit's questionnaire cannot be changed now (Closed or NotAllowed), or None."""
    now = now or utcnow()
    zone = unit.time_zone if unit else "WIB"
    if sub is not None and sub.status == "submitted":
        return Closed(_("This questionnaire was submitted on %(when)s and is locked.",
                        when=datetime_in_zones(sub.submitted_at, zone)))
    if sub is not None and sub.status == "returned":
        from .revision import revision_for, revision_refusal
        request = revision_for(sub)
        if request is not None:   # editable until the revision deadline, not the period's
            return revision_refusal(request, zone, now)
    if not takes_part(period, unit):
        return NotAllowed(_("This work unit does not take part in %(period)s.", period=period.title))
    if now < period.opens_at:
        return Closed(_("The questionnaire opens on %(when)s.",
                        when=datetime_in_zones(period.opens_at, zone)))
    closes = closes_at_for(period, unit.code)
    if now >= closes:
        return Closed(_("The questionnaire closed on %(when)s; answers can no longer be "
                        "changed or submitted.", when=datetime_in_zones(closes, zone)))
    return None


def check_editable(sub: Submission, now: datetime | None = None) -> None:
    """Raise Closed (or NotAllowed) unless the questionnaire may be changed now."""
    problem = refusal(sub.period, sub.unit, sub, now)
    if problem is not None:
        raise problem


def is_editable(sub: Submission, now: datetime | None = None) -> bool:
    return refusal(sub.period, sub.unit, sub, now) is None


def _check_version(session, sub: Submission, version) -> None:
    try:
        version = int(version)
    except (TypeError, ValueError):
        raise Invalid(_("The form is missing its version number; reload the page."),
                      details={"version": "missing"}) from None
    if version != sub.version:
        raise _conflict(session, sub, version)


def _conflict(session, sub: Submission, version: int) -> Conflict:
    user = session.get(User, sub.updated_by) if sub.updated_by else None
    who = (user.name or user.username) if user else "-"
    zone = sub.unit.time_zone if sub.unit else "WIB"
    return Conflict(_("Someone else (%(who)s) saved this questionnaire on %(when)s, after you "
                      "opened it. Your changes were NOT saved, so that theirs are not overwritten. "
                      "Copy what you typed if you need it, then reload the page to see the "
                      "current answers.", who=who, when=datetime_in_zones(sub.updated_at, zone)),
                    details={"current_version": sub.version, "your_version": version})


def _flush(session, sub: Submission, version: int) -> None:
    """Flush; a concurrent save of the same version fails the versioned UPDATE."""
    try:
        session.flush()
    except StaleDataError:
        # the flush failed half-way: the request's transaction is unusable, so it is ended
        # here (nothing of it is kept) and the caller gets a Conflict like any stale save
        session.rollback()
        raise _conflict(session, sub, version) from None


# ---- typed text to answers ----------------------------------------------------------------

def parse_raw(indicator: Indicator, raw) -> object:
    """An answer from what a person typed or picked (web form, spreadsheet cell):
    "Ya"/"Tidak", a level index or label, "2,5" or "1.250" (Indonesian) numbers, options
    separated by new lines or ";" ("-" for none of them). Empty means unanswered (None).
    Raises AnswerError with a message for the person."""
    if raw is None:
        return None
    text = raw if isinstance(raw, str) else str(raw)
    if indicator.type == "text":
        text = text.replace("\r\n", "\n").replace("\r", "\n")   # browsers send CRLF
        if len(text) > MAX_TEXT:
            raise AnswerError(_("The text is too long (at most %(num)d characters).", num=MAX_TEXT))
        return text.strip() or None
    text = text.strip()
    if not text:
        return None
    value = _PARSERS[indicator.type](indicator, text)
    try:
        check_answer(indicator, value)
    except AnswerError:
        raise AnswerError(_INVALID[indicator.type](indicator)) from None
    check_size(indicator, value)
    return value


def check_size(indicator: Indicator, value) -> None:
    """Refuse a number answer too large to be real (or to show): AnswerError."""
    if indicator.type == "number" and isinstance(value, (int, float)) and value > MAX_NUMBER:
        raise AnswerError(_("The number is too large to be a real count."))


def _parse_yesno(ind: Indicator, text: str) -> bool:
    word = text.lower()
    if word in YES:
        return True
    if word in NO:
        return False
    raise AnswerError(_("Answer yes or no."))


def _parse_scale(ind: Indicator, text: str) -> int:
    if text.isdigit():
        return int(text)
    for index, level in enumerate(ind.levels):
        if level.label.casefold() == text.casefold():
            return index
    raise AnswerError(_scale_message(ind))


def _scale_message(ind: Indicator) -> str:
    return _("Choose one of the levels: %(levels)s.",
             levels=", ".join(level.label for level in ind.levels))


def parse_number(text: str):
    """A non-negative number from Indonesian or international writing, as int or float."""
    try:
        value = parse_number_text(text)
    except NumberTextError as exc:
        raise AnswerError(_(exc.msgid, **exc.params)) from None
    if value is None:
        raise AnswerError(_("Enter a number, for example 12 or 2,5."))
    return value


def _parse_number(ind: Indicator, text: str):
    return parse_number(text)


def _parse_choice(ind: Indicator, text: str) -> list[str]:
    if text in ind.options:
        return [text]
    pieces = [p.strip() for p in re.split(r"\n" if "\n" in text else ";", text)]
    pieces = [p for p in pieces if p]
    if pieces == [NONE_OF_THESE]:
        return []
    if NONE_OF_THESE in pieces:
        raise AnswerError(_("Choose options or \u201cnone of these\u201d, not both."))
    by_fold = {o.casefold(): o for o in ind.options}
    chosen = []
    for piece in pieces:
        option = by_fold.get(piece.casefold())
        if option is None:
            raise AnswerError(_("Unknown option: %(option)s.", option=piece[:80]))
        if option not in chosen:
            chosen.append(option)
    return chosen


_PARSERS = {"yesno": _parse_yesno, "scale": _parse_scale, "number": _parse_number,
            "choice": _parse_choice}
_INVALID = {"yesno": lambda ind: _("Answer yes or no."),
            "scale": _scale_message,
            "number": lambda ind: _("The number must not be negative."),
            "choice": lambda ind: _("Choose among the listed options.")}


def pending_error(indicator: Indicator, entry: dict) -> str:
    """The message for a kept-but-invalid value, in the current language."""
    try:
        parse_raw(indicator, entry.get("raw"))
    except AnswerError as exc:
        return str(exc)
    return entry.get("error") or _("This value is not valid.")


def _show_value(value) -> str:
    if isinstance(value, list):
        return "\n".join(str(v) for v in value)
    if isinstance(value, bool):
        return "ya" if value else "tidak"
    return str(value)


# ---- saving -----------------------------------------------------------------------------

def save_answers(session, sub: Submission, answers: dict, raw_pending: dict, version: int,
                 user, *, strict: bool = False, source: str = "web") -> Submission:
    """Save some answers (None clears one). Typed-but-invalid values are kept in
    ``sub.pending`` with their error; with ``strict`` any invalid value raises Invalid
    (details per indicator id) and nothing is saved. ``source`` (web, api, xlsx) is
    recorded in the audit log."""
    _check_version(session, sub, version)
    check_editable(sub)
    rubric = rubric_for(sub.period)
    values, kept, errors = _sort_out(rubric, answers or {}, raw_pending or {})
    unknown = {k: m for k, m in errors.items() if not rubric.has_indicator(k)}
    if unknown or (strict and errors):
        raise Invalid(_("Some answers are not valid; nothing was saved."),
                      details=unknown if unknown and not strict else errors)
    user_id = getattr(user, "id", None)   # read before any change: one UPDATE per save
    old = dict(sub.answers or {})
    new_answers, new_pending = dict(old), dict(sub.pending or {})
    for key, value in values.items():
        new_pending.pop(key, None)
        if value is None:
            new_answers.pop(key, None)
        else:
            new_answers[key] = value
    for key, raw in kept.items():
        new_answers.pop(key, None)
        new_pending[key] = {"raw": raw, "error": errors[key]}
    with session.no_autoflush:
        sub.answers, sub.pending = new_answers, new_pending
        sub.updated_at, sub.updated_by = utcnow(), user_id
    _flush(session, sub, int(version))
    changed = {k: _brief(new_answers.get(k)) for k in values if old.get(k) != new_answers.get(k)}
    audit.record("submission.save", sub, user=user, version=sub.version, changed=changed,
                 pending=sorted(kept), strict=strict, source=source)
    return sub


def _sort_out(rubric, answers: dict, raw_pending: dict) -> tuple[dict, dict, dict]:
    """Split input into valid values, kept raw texts and error messages."""
    values, kept, errors = {}, {}, {}
    for key, value in answers.items():
        if key in raw_pending:
            continue
        if not rubric.has_indicator(key):
            errors[key] = _("Unknown indicator.")
            continue
        ind = rubric.indicator(key)
        try:
            check_answer(ind, value)
            if ind.type == "text" and value is not None and len(value) > MAX_TEXT:
                raise AnswerError(_("The text is too long (at most %(num)d characters).",
                                    num=MAX_TEXT))
            check_size(ind, value)
            values[key] = value
        except AnswerError as exc:
            kept[key], errors[key] = _show_value(value), str(exc)
    for key, raw in raw_pending.items():
        if not rubric.has_indicator(key):
            errors[key] = _("Unknown indicator.")
            continue
        try:
            values[key] = parse_raw(rubric.indicator(key), raw)
        except AnswerError as exc:
            kept[key], errors[key] = (raw if isinstance(raw, str) else str(raw))[:MAX_TEXT], str(exc)
    return values, kept, errors


def _brief(value):
    if isinstance(value, str) and len(value) > 200:
        return value[:200] + "..."
    return value


# ---- completeness and submission -------------------------------------------------------------

def earns_something(indicator: Indicator, value) -> bool:
    """Whether an answer earns more than 0 (so that required evidence applies)."""
    if value is None:
        return False
    if indicator.type == "text":
        return bool(str(value).strip())
    try:
        return answer_fraction(indicator, value) > 0
    except AnswerError:
        return False


def missing_items(rubric, sub: Submission | None) -> list[tuple[str, str]]:
    """What blocks submission, in rubric order: (indicator id, reason for people)."""
    answers = (sub.answers if sub else None) or {}
    pending = (sub.pending if sub else None) or {}
    with_evidence = {ev.indicator_id for ev in sub.evidence} if sub else set()
    out = []
    for ind in rubric.indicators:
        if ind.id in pending:
            out.append((ind.id, _("the value typed is not valid: %(error)s",
                                  error=pending_error(ind, pending[ind.id]))))
        elif ind.scored and answers.get(ind.id) is None:
            out.append((ind.id, _("not answered")))
        elif (ind.evidence == "required" and ind.id not in with_evidence
              and earns_something(ind, answers.get(ind.id))):
            out.append((ind.id, _("required evidence is missing")))
    return out


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


def submit(session, sub: Submission, version: int, head_name: str, head_position: str,
           head_nip: str, agreed: bool, user) -> Submission:
    """Submit a complete questionnaire with the head's integrity statement; it is locked
    afterwards and a snapshot of answers and evidence is kept."""
    _check_version(session, sub, version)
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
    with session.no_autoflush:
        sub.status, sub.submitted_at, sub.submitted_by = "submitted", now, user_id
        sub.head_name, sub.head_position = head_name.strip()[:200], head_position.strip()[:200]
        sub.head_nip = normalise_nip(head_nip)
        sub.updated_at, sub.updated_by = now, user_id
    _flush(session, sub, int(version))
    snapshot = SubmissionSnapshot(submission_id=sub.id, version=sub.version,
                                  kind="resubmit" if resubmission else "submit",
                                  answers=dict(sub.answers or {}), evidence=evidence_list(sub),
                                  created_by=user_id)
    session.add(snapshot)
    session.flush()
    audit.record("submission.submit", sub, user=user, version=sub.version, snapshot=snapshot.id,
                 head_name=sub.head_name, head_position=sub.head_position, head_nip=sub.head_nip,
                 statement_agreed=True)
    # the receipt goes out whichever way the questionnaire was submitted (page or API)
    notify_submitted(session, sub, user)
    if resubmission:
        from .revision import mark_resubmitted
        mark_resubmitted(session, sub, user)
    return sub


def evidence_list(sub: Submission) -> list[dict]:
    """The evidence as plain data (for snapshots and the API)."""
    return [{"id": ev.id, "indicator": ev.indicator_id, "kind": ev.kind, "url": ev.url,
             "filename": ev.filename, "content_type": ev.content_type, "size": ev.size,
             "sha256": ev.sha256, "created_at": ev.created_at.isoformat() if ev.created_at else None}
            for ev in sub.evidence]


# ---- self-score ---------------------------------------------------------------------------

def self_scores(rubric, sub: Submission | None) -> dict:
    """{"total": Decimal, "aspects": {aspect id: Decimal}}, computed by scoring.score."""
    if sub is None:
        return scores.zero_scores(rubric)
    return scores.self_scores_for(rubric, sub.unit_code, sub.answers)


# ---- one page of the web form ------------------------------------------------------------

def save_page(session, sub: Submission, answers: dict, raw_pending: dict, version: int, user, *,
              files=(), links=(), delete=(), upload_dir: str, max_bytes: int) -> dict:
    """Save one aspect page: its answers, then new files and links and deletions of its
    evidence. Answers refused as a whole (Conflict, Closed) change nothing; a refused file
    or link does not undo the answers: its message is returned, by form field
    ("file-<indicator>", "link-<indicator>" or "evidence")."""
    from . import OperationError
    from . import evidence as evidence_ops
    save_answers(session, sub, answers, raw_pending, version, user)
    problems = {}
    own = {ev.id: ev for ev in sub.evidence}
    for evidence_id in delete:
        if evidence_id not in own:
            raise NotAllowed(_("This evidence belongs to another questionnaire."))
        evidence_ops.delete_evidence(session, own[evidence_id], user)
    for indicator_id, filename, data in files:
        try:
            evidence_ops.add_file(session, sub, indicator_id, filename, data, user,
                                  upload_dir=upload_dir, max_bytes=max_bytes)
        except OperationError as exc:
            problems.setdefault(f"file-{indicator_id}", []).append(f"{filename}: {exc.message}")
    for indicator_id, url in links:
        try:
            evidence_ops.add_link(session, sub, indicator_id, url, user)
        except OperationError as exc:
            problems.setdefault(f"link-{indicator_id}", []).append(f"{url[:200]}: {exc.message}")
    return problems
