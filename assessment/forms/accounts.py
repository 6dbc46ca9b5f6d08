"""Account forms: the administrators' account pages, the forgotten password, activation,
the forced password change and the own e-mail address."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import HiddenField, PasswordField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, EqualTo, Length, Optional

from ..roster import MIN_PASSWORD
from .i18n import Form

ROLE_LABELS = {"admin": _l("Administrator"), "judge": _l("Judge (penilai)"),
               "operator": _l("Operator"), "monitor": _l("Provincial monitor")}
EXPIRY_DAYS = (("30", _l("30 days")), ("90", _l("90 days")), ("365", _l("1 year")),
               ("0", _l("No expiry")))


class NewPasswordFields(Form):
    new_password = PasswordField(_l("New password"),
                                 validators=[DataRequired(), Length(min=MIN_PASSWORD, max=200)])
    confirm = PasswordField(_l("New password again"), validators=[
        DataRequired(), EqualTo("new_password", message=_l("The two new passwords differ."))])


class ForcedPasswordForm(NewPasswordFields):
    """The one-time password is replaced: typed once more, then the new one twice."""
    current_password = PasswordField(_l("One-time password"),
                                     validators=[DataRequired(), Length(max=200)])
    submit = SubmitField(_l("Set my password"))


class ForgotForm(Form):
    identifier = StringField(_l("Username or e-mail address"),
                             validators=[DataRequired(), Length(max=200)])
    submit = SubmitField(_l("Send the link"))


class ResetForm(NewPasswordFields):
    token = HiddenField(validators=[DataRequired(), Length(max=200)])
    submit = SubmitField(_l("Set my password"))


class ActivationForm(NewPasswordFields):
    """A letter's link carries the token; typed from paper, the username and code."""
    token = HiddenField(validators=[Optional(), Length(max=200)])
    username = StringField(_l("Username"), validators=[Optional(), Length(max=80)])
    code = StringField(_l("Activation code"), validators=[DataRequired(), Length(max=40)])
    submit = SubmitField(_l("Activate my account"))


class UserSearchForm(Form):
    class Meta:
        csrf = False

    q = StringField(_l("Search"), validators=[Optional(), Length(max=100)])
    role = SelectField(_l("Role"), validators=[Optional()])
    active = SelectField(_l("Status"), validators=[Optional()])


class NewUserForm(Form):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=80)])
    name = StringField(_l("Name"), validators=[Optional(), Length(max=200)])
    email = StringField(_l("E-mail"), validators=[Optional(), Length(max=200)])
    role = SelectField(_l("Role"), validators=[DataRequired()])
    unit_code = StringField(_l("Work unit code (operator, monitor, judge)"),
                            validators=[Optional(), Length(max=16)])
    submit = SubmitField(_l("Create account"))


class RosterForm(Form):
    roster = FileField(_l("Roster (.xlsx)"), validators=[FileRequired()])
    submit = SubmitField(_l("Import"))


class ConfirmForm(Form):
    """Only the CSRF token: a state change from one button."""


class EmailForm(Form):
    email = StringField(_l("E-mail"), validators=[Optional(), Length(max=200)])
    submit = SubmitField(_l("Save e-mail"))


class UserTokenForm(Form):
    name = StringField(_l("Token name"), validators=[DataRequired(), Length(max=100)])
    expires = SelectField(_l("Valid for"), default="90")
    submit = SubmitField(_l("Create token"))


class OwnEmailForm(Form):
    """A user's own address: the password too, since the address receives reset links."""
    email = StringField(_l("E-mail"), validators=[Optional(), Length(max=200)])
    email_password = PasswordField(_l("Your password"), validators=[DataRequired(), Length(max=200)])
    submit = SubmitField(_l("Save e-mail"))
