"""The moderation form."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from .i18n import Form


class ModerationForm(Form):
    value = StringField(_l("Moderated value"), validators=[Optional(), Length(max=20000)])
    options = SelectMultipleField(_l("Moderated value"), choices=[], validate_choice=False)
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(), Length(max=4000)])
