"""The season checklist's waiver form."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, TextAreaField
from wtforms.validators import DataRequired, Length

from ..operations import season as ops
from .i18n import Form


class WaiverForm(Form):
    target = HiddenField(validators=[DataRequired()])
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(), Length(max=ops.MAX_REASON)])
