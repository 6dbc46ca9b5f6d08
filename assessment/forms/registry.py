"""Forms of the unit registry: upload, apply, search."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import HiddenField, StringField
from wtforms.validators import DataRequired, Length, Optional

from .i18n import Form


class UploadForm(Form):
    file = FileField(_l("File"), validators=[FileRequired()])


class ApplyForm(Form):
    """The previewed file, sent back as it was: checked again before it is applied."""
    filename = HiddenField(validators=[DataRequired(), Length(max=200)])
    payload = HiddenField(validators=[DataRequired()])
    sha256 = HiddenField(validators=[DataRequired(), Length(max=64)])


class SearchForm(Form):
    class Meta:
        csrf = False
    q = StringField(_l("Code or name"), validators=[Optional(), Length(max=100)])
