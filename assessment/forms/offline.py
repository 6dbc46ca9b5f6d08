"""The offline questionnaire's upload form."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired

from .i18n import Form


class UploadForm(Form):
    file = FileField(_l("Filled-in questionnaire (.xlsx)"),
                     validators=[FileRequired(_l("Choose the .xlsx file to upload."))])
