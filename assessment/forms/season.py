"""Forms of the judging season: provisional ranking, stage-two scores, objections, decisions."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import Length, Optional

from ..operations import stage as stage_ops
from .fields import choices
from .i18n import Form


class ProvisionalForm(Form):
    note = TextAreaField(_l("Note (why this ranking is computed now)"),
                         validators=[Optional(), Length(max=stage_ops.MAX_TEXT)])


class StageScoreForm(Form):
    score = StringField(_l("Score (0-100)"))
    notes = TextAreaField(_l("Notes"))


class ObjectionForm(Form):
    reason = TextAreaField(_l("Reason for the objection"))
    url = StringField(_l("New evidence: link (optional)"))


class AssignForm(Form):
    reviewer = SelectField(_l("Reviewer"), coerce=str)


class DecisionForm(Form):
    decision = RadioField(_l("Decision"), choices=choices([("accept", _l("Accept with a new value")),
                                                           ("reject", _l("Reject"))]))
    reason = TextAreaField(_l("Reason"))
