"""The forms of the user's own account page: password change and personal API tokens (the
e-mail form is forms/accounts.py's OwnEmailForm)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import PasswordField, SelectChoice, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, EqualTo, Length

from ..roster import MIN_PASSWORD
from .i18n import Form

EXPIRY_CHOICES = [SelectChoice("30", _l("30 days")), SelectChoice("90", _l("90 days")),
                  SelectChoice("365", _l("1 year")), SelectChoice("0", _l("No expiry"))]


class PasswordForm(Form):
    current_password = PasswordField(_l("Current password"),
                                     validators=[DataRequired(), Length(max=200)])
    new_password = PasswordField(_l("New password"),
                                 validators=[DataRequired(), Length(min=MIN_PASSWORD, max=200)])
    confirm = PasswordField(_l("New password again"), validators=[
        DataRequired(), EqualTo("new_password", message=_l("The two new passwords differ."))])
    submit = SubmitField(_l("Change password"))


class TokenForm(Form):
    name = StringField(_l("Token name"), validators=[DataRequired(), Length(max=100)])
    expires = SelectField(_l("Valid for"), choices=EXPIRY_CHOICES, default="90")
    submit = SubmitField(_l("Create token"))


class RevokeForm(Form):
    """Only the CSRF token: revoking is a state change."""
