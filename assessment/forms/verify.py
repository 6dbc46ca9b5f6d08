"""The judge's verification form of one aspect: per indicator the verified value (the same
control as the questionnaire, from its field-builder registry) and a comment."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, SubmitField, TextAreaField

from rubrics.model import Aspect, Indicator
from scoring import AnswerError, check_answer

from ..operations.answers import parse_typed
from ..operations.verification import MAX_COMMENT, is_pending, verified_value
from .i18n import Form
from .questionnaire import FIELD_KINDS

COPY_ALL = "*"


def value_name(ind: Indicator) -> str:
    return f"verified-{ind.id}"


def comment_name(ind: Indicator) -> str:
    return f"comment-{ind.id}"


def verify_form_class(aspect: Aspect) -> type:
    """A new form class for one aspect's verification page."""
    attrs = {"copy": HiddenField(), "clear": HiddenField(),
             "save": SubmitField(_l("Save")), "save_next": SubmitField(_l("Save and continue"))}
    for ind in aspect.indicators:
        if ind.scored:
            attrs[value_name(ind)] = FIELD_KINDS[ind.type].field(ind)
        attrs[comment_name(ind)] = TextAreaField(_l("Comment"),
                                                 render_kw={"rows": 2, "maxlength": MAX_COMMENT})
    return type(f"VerifyForm_{aspect.id}", (Form,), attrs)


def copy_data(ind: Indicator, value):
    """What the value control shows for the unit's answer (for "copy the unit's answer")."""
    return FIELD_KINDS[ind.type].form_data(ind, value)


def initial_data(aspect: Aspect, rows: dict) -> dict:
    """Field data from the stored rows (kept-but-invalid values shown as typed)."""
    data = {}
    for ind in aspect.indicators:
        row = rows.get(ind.id)
        kind = FIELD_KINDS[ind.type]
        if ind.scored:
            if row is not None and is_pending(row.value):
                data[value_name(ind)] = kind.pending_data(ind, row.value.get("raw") or "")
            else:
                data[value_name(ind)] = kind.form_data(ind, verified_value(row))
        data[comment_name(ind)] = row.comment if row is not None else ""
    return data


def verify_form(aspect: Aspect, rows: dict, posted: bool):
    cls = verify_form_class(aspect)
    if posted:
        return cls()
    return cls(formdata=None, data=initial_data(aspect, rows))


def collect(form, aspect: Aspect, unit_answers: dict) -> tuple[dict, dict, dict, dict]:
    """(values, raw_pending, comments, errors) from a posted form. "Copy" takes the unit's
    answer for one indicator, or (COPY_ALL) for every scored one left empty on the page."""
    values, raw_pending, comments, errors = {}, {}, {}, {}
    copy, cleared = form.copy.data or "", form.clear.data or ""
    for ind in aspect.indicators:
        comments[ind.id] = form[comment_name(ind)].data or ""
        if not ind.scored:
            continue
        raw = FIELD_KINDS[ind.type].raw(ind, form[value_name(ind)].data)
        if ind.id == cleared:
            values[ind.id] = None
        elif ind.id == copy or (copy == COPY_ALL and not raw.strip()):
            values[ind.id] = _copied(ind, unit_answers.get(ind.id))
        else:
            try:
                values[ind.id] = parse_typed(ind, raw)
            except AnswerError as exc:
                raw_pending[ind.id], errors[ind.id] = raw, str(exc)
    return values, raw_pending, comments, errors


def _copied(ind: Indicator, value):
    try:
        check_answer(ind, value)
    except AnswerError:
        return None
    return value
