"""Questionnaire forms built from the rubric: one field builder per indicator type in a
registry; each form class is built fresh per call with ``type()``."""
from __future__ import annotations

from flask import current_app
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, URLSafeSerializer

from .i18n import Form
from flask_wtf.file import MultipleFileField
from wtforms import (BooleanField, HiddenField, RadioField, SelectMultipleField, StringField,
                     SubmitField, TextAreaField)
from wtforms.validators import DataRequired, Length, Regexp
from wtforms.widgets import CheckboxInput, ListWidget

try:
    from wtforms.fields.choices import SelectChoice
except ImportError:   # WTForms before 3.3 takes plain (value, label) pairs
    def SelectChoice(value, label):  # noqa: N802
        return (value, label)

from rubrics.model import NOT_APPLICABLE, Aspect, Indicator
from scoring import AnswerError
from scoring.answers import MAX_TEXT, NONE_OF_THESE, parse_answer

from ..navigation import current_lang
from ..operations.answers import parse_typed
from ..operations.submission import normalise_nip
from ..text import ascii_int


def answer_name(ind: Indicator) -> str:
    return f"answer-{ind.id}"


def file_name(ind: Indicator) -> str:
    return f"file-{ind.id}"


def link_name(ind: Indicator) -> str:
    return f"link-{ind.id}"


def _with_na(ind: Indicator, choices: list) -> list:
    """The choices plus "Tidak berlaku" (stored as "tidak-berlaku") for an allow_na indicator."""
    return choices + ([SelectChoice(NOT_APPLICABLE, _l("Not applicable"))] if ind.allow_na else [])


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class FieldKind:
    """How one indicator type becomes a form field and back into text to parse."""

    def field(self, ind: Indicator):
        raise NotImplementedError

    def form_data(self, ind: Indicator, value):
        """What the field shows for a saved answer."""
        return None if value is None else str(value)

    def pending_data(self, ind: Indicator, raw: str):
        """What the field shows for a kept-but-invalid raw text."""
        return raw

    def raw(self, ind: Indicator, data) -> str:
        """The submitted field data as text for ``parse_typed``."""
        return "" if data is None else str(data)


class YesNoKind(FieldKind):
    def field(self, ind):
        return RadioField(ind.question, choices=_with_na(ind, [SelectChoice("ya", _l("Yes")),
                                                               SelectChoice("tidak", _l("No"))]),
                          validate_choice=False)

    def form_data(self, ind, value):
        if value is None or value == NOT_APPLICABLE:
            return value
        return "ya" if value else "tidak"


class ScaleKind(FieldKind):
    def field(self, ind):
        return RadioField(ind.question, choices=_with_na(ind, [SelectChoice(str(i), lvl.label)
                                                               for i, lvl in enumerate(ind.levels)]),
                          validate_choice=False)


class NumberKind(FieldKind):
    def field(self, ind):
        return StringField(ind.question, render_kw={"inputmode": "numeric" if ind.integer else "decimal",
                                                    "autocomplete": "off"})

    def form_data(self, ind, value):
        if value is None or value == NOT_APPLICABLE:   # the template ticks "Tidak berlaku"
            return value
        text = f"{value:.15g}" if isinstance(value, float) else str(value)
        return text.replace(".", ",") if current_lang() == "id" else text


class ChoiceKind(FieldKind):
    def field(self, ind):
        choices = [SelectChoice(option, option) for option in ind.options]
        choices.append(SelectChoice(NONE_OF_THESE, _l("None of these")))
        return MultiCheckboxField(ind.question, choices=_with_na(ind, choices), validate_choice=False)

    def form_data(self, ind, value):
        if value is None:
            return []
        if value == NOT_APPLICABLE:
            return [NOT_APPLICABLE]
        return list(value) or [NONE_OF_THESE]

    def pending_data(self, ind, raw):
        return [p.strip() for p in raw.replace(";", "\n").split("\n") if p.strip()]

    def raw(self, ind, data):
        if ind.allow_na and NOT_APPLICABLE in (data or []):
            return NOT_APPLICABLE   # "Tidak berlaku" ticked: the options do not matter
        return "\n".join(data or [])


class TextKind(FieldKind):
    def field(self, ind):
        return TextAreaField(ind.question, render_kw={"rows": 4, "maxlength": MAX_TEXT})


FIELD_KINDS: dict[str, FieldKind] = {"yesno": YesNoKind(), "scale": ScaleKind(),
                                     "number": NumberKind(), "choice": ChoiceKind(),
                                     "text": TextKind()}


def aspect_form_class(aspect: Aspect) -> type:
    """A new form class for one aspect page (answers, new evidence, fixed controls)."""
    attrs = {"version": HiddenField(), "base": HiddenField(), "clear": HiddenField(),
             "delete_evidence": HiddenField(),
             "save": SubmitField(_l("Save")), "save_next": SubmitField(_l("Save and continue"))}
    for ind in aspect.indicators:
        attrs[answer_name(ind)] = FIELD_KINDS[ind.type].field(ind)
        if ind.evidence != "none":
            attrs[file_name(ind)] = MultipleFileField(_l("Add files"))
            attrs[link_name(ind)] = StringField(_l("Add a link"), validators=[Length(max=2000)],
                                                render_kw={"inputmode": "url",
                                                           "placeholder": "https://"})
    return type(f"AspectForm_{aspect.id}", (Form,), attrs)


def initial_data(aspect: Aspect, sub, prefill: dict | None = None) -> dict:
    """Field data for a saved submission (kept-but-invalid values shown as typed); an empty
    answer shows its ``prefill`` value (a measure of the unit's channels) when there is one."""
    answers = (sub.answers if sub else None) or {}
    prefill = prefill or {}
    pending = (sub.pending if sub else None) or {}
    links = (sub.pending_links if sub else None) or {}
    data = {"version": str(sub.version if sub else 1), "base": sign_base(aspect, sub)}
    for ind in aspect.indicators:
        kind = FIELD_KINDS[ind.type]
        if ind.id in links:   # a link refused as not valid, kept to be corrected
            data[link_name(ind)] = links[ind.id].get("raw") or ""
        if ind.id in pending:
            data[answer_name(ind)] = kind.pending_data(ind, pending[ind.id].get("raw") or "")
        else:
            value = answers.get(ind.id)
            data[answer_name(ind)] = kind.form_data(ind, prefill.get(ind.id) if value is None else value)
    return data


def aspect_form(aspect: Aspect, sub, posted: bool, prefill: dict | None = None):
    """The aspect form, from the request when ``posted``, else filled from the submission
    (empty answers from ``prefill``)."""
    cls = aspect_form_class(aspect)
    if posted:
        return cls()
    return cls(formdata=None, data=initial_data(aspect, sub, prefill))


def base_texts(aspect: Aspect, sub) -> dict:
    """What each answer field holds for the stored questionnaire, as text: the base a save
    compares with to know which fields it changes (a measured prefill is not stored, so a
    prefilled field counts as changed)."""
    answers = (sub.answers if sub else None) or {}
    pending = (sub.pending if sub else None) or {}
    links = (sub.pending_links if sub else None) or {}
    out = {}
    for ind in aspect.indicators:
        kind = FIELD_KINDS[ind.type]
        if ind.id in pending:
            out[ind.id] = pending[ind.id].get("raw") or ""
        else:
            out[ind.id] = kind.raw(ind, kind.form_data(ind, answers.get(ind.id)))
        if ind.id in links:   # "link-<id>": the kept invalid link the page shows
            out[link_name(ind)] = links[ind.id].get("raw") or ""
    return out


def emptied_links(form, aspect: Aspect) -> list[str]:
    """The indicators whose kept invalid link the page showed and the person emptied."""
    base = read_base(form) or {}
    return [ind.id for ind in aspect.indicators
            if base.get(link_name(ind)) and not (form[link_name(ind)].data or "").strip()]


def _signer(salt: str = "questionnaire-base") -> URLSafeSerializer:
    return URLSafeSerializer(current_app.secret_key, salt=salt)


def sign_base(aspect: Aspect, sub) -> str:
    return sign_texts(base_texts(aspect, sub))


def sign_texts(texts: dict, salt: str = "questionnaire-base") -> str:
    """A page's base texts, signed (the questionnaire's; the judge's page uses its own salt)."""
    return _signer(salt).dumps(texts)


def read_base(form, salt: str = "questionnaire-base") -> dict | None:
    """The base texts the form was loaded with, or None (missing or tampered: every field
    then counts as changed, and the merge still refuses overwriting others' changes)."""
    try:
        base = _signer(salt).loads(form.base.data or "")
    except BadSignature:
        return None
    return base if isinstance(base, dict) else None


def same_text(ind: Indicator, a: str, b: str) -> bool:
    """Whether two typed texts mean the same answer (so "2,5" and "2.5" are one)."""
    try:
        return parse_answer(ind, a) == parse_answer(ind, b)
    except AnswerError:
        return (a or "").strip() == (b or "").strip()


def collect(form, aspect: Aspect, choices: dict | None = None) -> tuple[dict, dict, dict]:
    """(answers, raw_pending, errors) of the fields a posted aspect form changes: a field
    equal to its base is left out (never written), and so is a conflict the person settled
    with "theirs" (``choices``: indicator id -> "mine" | "theirs")."""
    answers, raw_pending, errors = {}, {}, {}
    cleared = form.clear.data or ""
    base = read_base(form)
    for ind in aspect.indicators:
        if (choices or {}).get(ind.id) == "theirs":
            continue
        if ind.id == cleared:
            answers[ind.id] = None
            continue
        raw = FIELD_KINDS[ind.type].raw(ind, form[answer_name(ind)].data)
        if base is not None and ind.id in base and same_text(ind, raw, base[ind.id]):
            continue
        try:
            answers[ind.id] = parse_typed(ind, raw)
        except AnswerError as exc:
            raw_pending[ind.id], errors[ind.id] = raw, str(exc)
    return answers, raw_pending, errors


def new_evidence(form, aspect: Aspect, max_bytes: int) -> tuple[list, list]:
    """Files ([(indicator id, filename, bytes)]; at most max_bytes + 1 read of each, so an
    oversize file is refused by its length) and links ([(indicator id, url)])."""
    files, links = [], []
    for ind in aspect.indicators:
        if ind.evidence == "none":
            continue
        for storage in form[file_name(ind)].data or []:
            if storage and storage.filename:
                files.append((ind.id, storage.filename, storage.stream.read(max_bytes + 1)))
        url = (form[link_name(ind)].data or "").strip()
        if url:
            links.append((ind.id, url))
    return files, links


def deleted_evidence(form) -> list[int]:
    value = form.delete_evidence.data or ""
    number = ascii_int(value)   # never int() on raw text: int("²") raises
    return [number] if number is not None and number > 0 else []


class SubmitForm(Form):
    """Submission with the head of the work unit's integrity statement."""

    version = HiddenField()
    head_name = StringField(_l("Name of the head of the work unit"),
                            validators=[DataRequired(), Length(max=200)],
                            render_kw={"autocomplete": "name"})
    head_position = StringField(_l("Position"), validators=[DataRequired(), Length(max=200)])
    head_nip = StringField(_l("NIP (18 digits)"),
                           filters=[lambda v: normalise_nip(v) if v else v],
                           validators=[DataRequired(),
                                       Regexp(r"^\d{18}$", message=_l("The NIP has exactly 18 digits."))],
                           render_kw={"inputmode": "numeric", "autocomplete": "off"})
    agreed = BooleanField(_l("I agree with the statement above."),
                          validators=[DataRequired(message=_l("The statement must be agreed to."))])
    submit = SubmitField(_l("Submit the questionnaire"))
