"""Forms of the administration pages: periods, extensions, the audit filter."""
from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, DateField, DateTimeLocalField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional, Regexp, ValidationError

from ..extensions import db
from ..models import Period
from ..progress import LEVEL_LABELS
from .fields import DATETIME_FORMATS, MultiCheckboxField, choices
from .i18n import Form


class PeriodForm(Form):
    slug = StringField(_l("Slug (used in addresses)"), validators=[
        DataRequired(), Length(max=80),
        Regexp(r"^[a-z0-9]+(-[a-z0-9]+)*$", message=_l("Use lowercase letters, digits and single hyphens."))])
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=300)])
    rubric_id = SelectField(_l("Rubric edition"), validators=[DataRequired()])
    opens_at = DateTimeLocalField(_l("Opens (WIB)"), format=DATETIME_FORMATS, validators=[InputRequired()])
    closes_at = DateTimeLocalField(_l("Closes (WIB)"), format=DATETIME_FORMATS, validators=[InputRequired()])
    levels = MultiCheckboxField(_l("Participating levels"), default=["provinsi", "kabkota"],
                                choices=choices(LEVEL_LABELS.items()),
                                validators=[DataRequired(message=_l("Choose at least one level."))])

    def validate_slug(self, field):
        if db.session.query(Period).filter_by(slug=field.data).first():
            raise ValidationError(_("A period with this slug already exists."))

    def validate_closes_at(self, field):
        if self.opens_at.data and field.data and field.data <= self.opens_at.data:
            raise ValidationError(_("The closing time must be after the opening time."))


class ExtensionForm(Form):
    unit_code = SelectField(_l("For"), validators=[Optional()])
    closes_at = DateTimeLocalField(_l("New closing time (WIB)"), format=DATETIME_FORMATS,
                                   validators=[InputRequired()])
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(), Length(max=2000)])
    confirm = BooleanField(_l("Yes, close the questionnaires that are being filled in"))


class EditPeriodForm(Form):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=300)])
    opens_at = DateTimeLocalField(_l("Opens (WIB)"), format=DATETIME_FORMATS, validators=[InputRequired()])
    closes_at = DateTimeLocalField(_l("Closes (WIB, for every unit)"), format=DATETIME_FORMATS,
                                   validators=[InputRequired()])
    reason = TextAreaField(_l("Reason for a change of dates"), validators=[Optional(), Length(max=2000)])
    confirm = BooleanField(_l("Yes, close the questionnaires that are being filled in"))


class ReasonForm(Form):
    """Archive, restore or delete: a reason, kept in the audit log."""
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(), Length(max=2000)])


class AuditFilterForm(Form):
    class Meta:
        csrf = False

    action = SelectField(_l("Action"), validators=[Optional()])
    user = StringField(_l("User (username)"), validators=[Optional(), Length(max=80)])
    unit = StringField(_l("Work unit code"), validators=[Optional(), Length(max=16)])
    period = SelectField(_l("Period"), validators=[Optional()])
    date_from = DateField(_l("From (date, WIB)"), validators=[Optional()])
    date_to = DateField(_l("To (date, WIB)"), validators=[Optional()])
