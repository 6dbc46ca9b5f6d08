"""Forms of judge assignment: settings, adding a judge, ending an assignment."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, DateTimeLocalField, IntegerField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from ..operations import assign as ops
from .fields import DATETIME_FORMATS
from .i18n import Form


class SettingsForm(Form):
    judges_per_unit = IntegerField(_l("Judges per unit"), validators=[
        InputRequired(), NumberRange(min=1, max=ops.MAX_JUDGES_PER_UNIT)])
    judge_cap = IntegerField(_l("Most units per judge"), validators=[Optional(), NumberRange(min=1)])
    conflict_same_province = BooleanField(_l("A judge never judges units of the province they come from"))
    disagreement_threshold = StringField(_l("Disagreement threshold"),
                                         validators=[InputRequired(), Length(max=10)])
    min_shared_indicators = IntegerField(_l("Fewest shared indicators for a judge-quality verdict"),
                                         validators=[InputRequired(), NumberRange(min=1)])
    verification_closes_at = DateTimeLocalField(_l("Verification closes (WIB)"),
                                                format=DATETIME_FORMATS, validators=[Optional()])
    objection_opens_at = DateTimeLocalField(_l("Objection period opens (WIB)"),
                                            format=DATETIME_FORMATS, validators=[Optional()])
    objection_closes_at = DateTimeLocalField(_l("Objection period closes (WIB)"),
                                             format=DATETIME_FORMATS, validators=[Optional()])
    # choices are the judges, set per request; the operation refuses anyone else
    lead_judges = SelectMultipleField(_l("Lead judges"), coerce=int, validate_choice=False,
                                      widget=ListWidget(prefix_label=False),
                                      option_widget=CheckboxInput())


class AddJudgeForm(Form):
    # every judge id is accepted here: the operation refuses conflicts, non-judges and the rest
    judge_id = SelectField(_l("Judge"), coerce=int, validate_choice=False, validators=[InputRequired()])


class ReasonForm(Form):
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(), Length(max=2000)])
