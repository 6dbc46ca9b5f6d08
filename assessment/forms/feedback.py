"""Forms of the feedback pages and the good-practice library."""
from __future__ import annotations

from wtforms import HiddenField
from wtforms.validators import DataRequired, Length

from .i18n import Form


class WithholdForm(Form):
    withhold = HiddenField(validators=[DataRequired(), Length(max=1)])


class PublishForm(Form):
    indicator_id = HiddenField(validators=[DataRequired(), Length(max=80)])
    unit_code = HiddenField(validators=[DataRequired(), Length(max=16)])


class PlainForm(Form):
    """Only the CSRF token: the action is the state change."""
