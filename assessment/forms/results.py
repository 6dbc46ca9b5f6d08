"""Forms of scoring runs: finalising and publishing."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from .i18n import Form


class FinaliseForm(Form):
    reason = TextAreaField(_l("Reason for the correction"),
                           validators=[Optional(), Length(max=2000)])
    confirm = BooleanField(_l("I have checked the data: freeze this ranking as final"),
                           validators=[DataRequired(message=_l("Tick the box to confirm."))])


class PublishForm(Form):
    confirm = BooleanField(_l("Make this ranking public"),
                           validators=[DataRequired(message=_l("Tick the box to confirm."))])
