"""Forms of the monitoring pages (issue 16): channels, logged posts (one or an .xlsx),
activities, coverage confirmation and election stages."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import DateField, IntegerField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, Optional

from ..models.monitor import CHANNEL_KINDS
from .i18n import Form

KIND_LABELS = {"website": _l("Website news feed"), "youtube": _l("YouTube channel"),
               "podcast": _l("Podcast"), "social": _l("Social media"), "other": _l("Other")}


class ChannelForm(Form):
    kind = SelectField(_l("Kind"), choices=[(k, KIND_LABELS[k]) for k in CHANNEL_KINDS])
    url = StringField(_l("Page address"), validators=[DataRequired(), Length(max=1000)])
    feed_url = StringField(_l("Feed address (RSS/Atom), if any"),
                           validators=[Optional(), Length(max=1000)])
    add = SubmitField(_l("Add channel"))


class PostForm(Form):
    channel_id = SelectField(_l("Channel"), coerce=int)
    url = StringField(_l("Post address"), validators=[DataRequired(), Length(max=1000)])
    published = DateField(_l("Published on"), validators=[DataRequired()])
    title = StringField(_l("Title"), validators=[Optional(), Length(max=500)])
    log = SubmitField(_l("Log post"))


class PostUploadForm(Form):
    file = FileField(_l("Workbook (.xlsx): url, published (YYYY-MM-DD), title, channel id"),
                     validators=[FileRequired()])
    upload = SubmitField(_l("Upload posts"))


class ActivityForm(Form):
    day = DateField(_l("Date"), validators=[DataRequired()])
    title = StringField(_l("Activity"), validators=[DataRequired(), Length(max=500)])
    kind = SelectField(_l("Kind"), choices=[("external", _l("External")), ("internal", _l("Internal"))])
    add = SubmitField(_l("Log activity"))


class CoverForm(Form):
    item_id = IntegerField(validators=[DataRequired()])
    confirm = SubmitField(_l("Confirm coverage"))


class StageForm(Form):
    name = StringField(_l("Election stage"), validators=[DataRequired(), Length(max=200)])
    starts_on = DateField(_l("Starts on"), validators=[DataRequired()])
    ends_on = DateField(_l("Ends on"), validators=[DataRequired()])
    add = SubmitField(_l("Add stage"))
