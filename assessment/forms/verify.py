"""The judge's verification form of one aspect: per indicator the verified value (the same
control as the questionnaire, from its field-builder registry; scored indicators and
conditions of entry) and a comment."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, SubmitField, TextAreaField

from rubrics.model import Aspect, Indicator
from scoring import AnswerError, check_answer

from ..operations.answers import parse_typed
from ..operations.verification import MAX_COMMENT, checked_dates, is_pending, verified_value
from .i18n import Form
from .questionnaire import (FIELD_KINDS, MultiCheckboxField, SelectChoice, read_base, same_text,
                            sign_texts)

COPY_ALL = "*"
SALT = "verification-base"


def value_name(ind: Indicator) -> str:
    return f"verified-{ind.id}"


def comment_name(ind: Indicator) -> str:
    return f"comment-{ind.id}"


def dates_name(ind: Indicator) -> str:
    return f"checked-{ind.id}"


def verify_form_class(aspect: Aspect, sampled: dict | None = None) -> type:
    """A new form class for one aspect's verification page; ``sampled``: indicator id -> its
    sampled dates (ISO texts) for the indicators with ``sample``."""
    attrs = {"copy": HiddenField(), "clear": HiddenField(), "version": HiddenField(),
             "base": HiddenField(),
             "save": SubmitField(_l("Save")), "save_next": SubmitField(_l("Save and continue"))}
    for ind in aspect.indicators:
        if ind.judged:
            attrs[value_name(ind)] = FIELD_KINDS[ind.type].field(ind)
        if (sampled or {}).get(ind.id):
            attrs[dates_name(ind)] = MultiCheckboxField(
                _l("Sampled dates checked"), choices=[SelectChoice(d, d) for d in sampled[ind.id]],
                validate_choice=False)
        attrs[comment_name(ind)] = TextAreaField(_l("Comment"),
                                                 render_kw={"rows": 2, "maxlength": MAX_COMMENT})
    return type(f"VerifyForm_{aspect.id}", (Form,), attrs)


def copy_data(ind: Indicator, value):
    """What the value control shows for the unit's answer (for "copy the unit's answer")."""
    return FIELD_KINDS[ind.type].form_data(ind, value)


def initial_data(aspect: Aspect, rows: dict, sampled: dict | None = None) -> dict:
    """Field data from the stored rows (kept-but-invalid values shown as typed)."""
    data = {}
    for ind in aspect.indicators:
        row = rows.get(ind.id)
        kind = FIELD_KINDS[ind.type]
        if ind.judged:
            if row is not None and is_pending(row.value):
                data[value_name(ind)] = kind.pending_data(ind, row.value.get("raw") or "")
            else:
                data[value_name(ind)] = kind.form_data(ind, verified_value(row))
        if (sampled or {}).get(ind.id):
            data[dates_name(ind)] = checked_dates(row)
        data[comment_name(ind)] = row.comment if row is not None else ""
    return data


def base_texts(aspect: Aspect, rows: dict) -> dict:
    """What each field holds for the stored verification, as text: "<id>" the value,
    "<id>:comment" the comment, "<id>:dates" the checked dates (one per line): the base a
    save compares with to know which fields it changes."""
    out = {}
    for ind in aspect.indicators:
        row = rows.get(ind.id)
        if ind.judged:
            kind = FIELD_KINDS[ind.type]
            if row is not None and is_pending(row.value):
                out[ind.id] = row.value.get("raw") or ""
            else:
                out[ind.id] = kind.raw(ind, kind.form_data(ind, verified_value(row)))
        out[ind.id + ":comment"] = (row.comment or "") if row is not None else ""
        out[ind.id + ":dates"] = "\n".join(checked_dates(row))
    return out


def sign_base(aspect: Aspect, rows: dict) -> str:
    return sign_texts(base_texts(aspect, rows), SALT)


def verify_form(aspect: Aspect, rows: dict, posted: bool, version: int = 1,
                sampled: dict | None = None):
    cls = verify_form_class(aspect, sampled)
    if posted:
        return cls()
    data = initial_data(aspect, rows, sampled)
    data.update(version=str(version), base=sign_base(aspect, rows))
    return cls(formdata=None, data=data)


def collect(form, aspect: Aspect, unit_answers: dict, choices: dict | None = None
            ) -> tuple[dict, dict, dict, dict, dict]:
    """(values, raw_pending, comments, checked, errors) of the fields a posted form changes:
    a field equal to its base (the signed texts the page was loaded with) is left out, and
    so is every field of a conflict settled with "theirs" (``choices``: indicator id ->
    "mine" | "theirs"). "Copy" takes the unit's answer for one indicator, or (COPY_ALL) for
    every scored one left empty on the page (not a condition of entry: the judge checks its
    document and answers it on purpose)."""
    values, raw_pending, comments, checked, errors = {}, {}, {}, {}, {}
    copy, cleared = form.copy.data or "", form.clear.data or ""
    base = read_base(form, SALT) or {}
    for ind in aspect.indicators:
        if (choices or {}).get(ind.id) == "theirs":
            continue
        comment = form[comment_name(ind)].data or ""
        if base.get(ind.id + ":comment") != comment.replace("\r\n", "\n").strip():
            comments[ind.id] = comment
        if dates_name(ind) in form:
            dates = sorted(set(form[dates_name(ind)].data or []))
            if base.get(ind.id + ":dates") != "\n".join(dates):
                checked[ind.id] = dates
        if not ind.judged:
            continue
        raw = FIELD_KINDS[ind.type].raw(ind, form[value_name(ind)].data)
        if ind.id == cleared:
            values[ind.id] = None
        elif ind.id == copy or (copy == COPY_ALL and not ind.entry and not raw.strip()):
            values[ind.id] = _copied(ind, unit_answers.get(ind.id))
        elif ind.id in base and same_text(ind, raw, base[ind.id]):
            continue
        else:
            try:
                values[ind.id] = parse_typed(ind, raw)
            except AnswerError as exc:
                raw_pending[ind.id], errors[ind.id] = raw, str(exc)
    return values, raw_pending, comments, checked, errors


def _copied(ind: Indicator, value):
    try:
        check_answer(ind, value)
    except AnswerError:
        return None
    return value
