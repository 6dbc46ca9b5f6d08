"""Saving a unit's answers: valid values, typed-but-invalid texts kept in ``pending`` with
their message, merged per indicator (``merge``). Reading what people type is
``scoring.answers.parse_answer`` (one reader for the web, the API, Excel and the judges);
this module translates its messages."""
from __future__ import annotations

from flask_babel import gettext as _

from rubrics.model import Indicator
from scoring.answers import AnswerError, parse_answer, sort_answers

from .. import audit
from ..models import Submission
from ..models.types import utcnow
from ..rubric_store import rubric_for
from . import Invalid
from .editability import check_editable, versioned_change
from .merge import base_version, check_conflicts, stamp, state_of


def message(exc: AnswerError) -> str:
    """An answer's error message in the current language."""
    return _(exc.msgid, **exc.params)


def parse_typed(indicator: Indicator, raw) -> object:
    """``parse_answer`` with its message translated: AnswerError(str) in the current language."""
    try:
        return parse_answer(indicator, raw)
    except AnswerError as exc:
        raise AnswerError(message(exc)) from None


def sorted_input(rubric, values: dict, typed: dict, *, judged_only: bool = False
                 ) -> tuple[dict, dict, dict]:
    """``scoring.answers.sort_answers`` with its messages translated."""
    good, kept, errors = sort_answers(rubric, values or {}, typed or {}, judged_only=judged_only)
    return good, kept, {key: message(exc) for key, exc in errors.items()}


def pending_message(indicator: Indicator, entry: dict | None) -> str:
    """The message for a kept-but-invalid value ({"raw", "error"}), in the current language."""
    entry = entry or {}
    try:
        parse_answer(indicator, entry.get("raw"))
    except AnswerError as exc:
        return message(exc)
    return entry.get("error") or _("This value is not valid.")


def save_answers(session, sub: Submission, answers: dict, raw_pending: dict, version: int,
                 user, *, strict: bool = False, source: str = "web",
                 evidence: dict | None = None, pending_links: dict | None = None) -> Submission:
    """Save the answers a save changes (None clears one), merged per indicator
    (``operations.merge``): ``version`` is the save's base; an indicator whose value equals
    the stored one is not written, one changed by someone else since the base is a Conflict
    and nothing is saved. Typed-but-invalid values are kept in ``sub.pending`` with their
    error; with ``strict`` any invalid value raises Invalid (details per indicator id) and
    nothing is saved. ``source`` (web, api, xlsx) is recorded in the audit log; ``evidence``
    (indicator id -> what the same save does to its evidence) takes part in the merge;
    ``pending_links`` (the page's kept invalid links) is written in the same change."""
    version = base_version(sub, version)
    check_editable(sub)
    rubric = rubric_for(sub.period)
    values, kept, errors = sorted_input(rubric, answers, raw_pending)
    unknown = {k: m for k, m in errors.items() if not rubric.has_indicator(k)}
    if unknown or (strict and errors):
        raise Invalid(_("Some answers are not valid; nothing was saved."),
                      details=unknown if unknown and not strict else errors)
    mine = {key: value for key, value in values.items()} | \
        {key: {"raw": raw} for key, raw in kept.items()}
    mine = {key: state for key, state in mine.items() if state_of(sub, key) != state}
    check_conflicts(session, sub, mine, version, evidence)
    links_change = pending_links is not None and pending_links != (sub.pending_links or {})
    if not mine and not links_change:
        return sub
    user_id = getattr(user, "id", None)   # read before any change: one UPDATE per save
    old = dict(sub.answers or {})
    new_answers, new_pending = dict(old), dict(sub.pending or {})
    for key in mine:
        new_pending.pop(key, None)
        new_answers.pop(key, None)
        if key in kept:
            new_pending[key] = {"raw": kept[key], "error": errors[key]}
        elif values[key] is not None:
            new_answers[key] = values[key]
    with versioned_change(session, sub, sub.version):
        stamp(sub, mine, user)
        sub.answers, sub.pending = new_answers, new_pending
        if pending_links is not None:
            sub.pending_links = pending_links
        sub.updated_at, sub.updated_by = utcnow(), user_id
    changed = {k: _brief(new_answers.get(k)) for k in mine if old.get(k) != new_answers.get(k)}
    audit.record("submission.save", sub, user=user, version=sub.version, changed=changed,
                 pending=sorted(k for k in kept if k in mine), strict=strict, source=source,
                 base=version, **({"pending_links": sorted(pending_links)} if links_change else {}))
    return sub


def _brief(value):
    if isinstance(value, str) and len(value) > 200:
        return value[:200] + "..."
    return value
