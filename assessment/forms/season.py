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


def criterion_name(criterion) -> str:
    """The form field of a criterion's mark (criterion ids are slugs: kebab-case)."""
    return "criterion-" + criterion.id


def stage_score_form_class(stage) -> type:
    """The judge's stage-two form for ``stage``: one field per criterion when the rubric
    gives the stage criteria (each a mark from 0 to 100, the bounds every criterion has in
    the rubric format), else the one score of earlier editions; notes either way. The
    operation reads and checks the values (operations.stage.parse_criteria)."""
    if stage is None or not stage.criteria:
        return StageScoreForm
    attrs = {"notes": TextAreaField(_l("Notes"))}
    for criterion in stage.criteria:
        attrs[criterion_name(criterion)] = StringField(criterion.title or criterion.id,
                                                       description=criterion.description)
    return type(f"StageScoreForm_{stage.id}", (Form,), attrs)


def criteria_typed(form, stage) -> dict[str, str]:
    """{criterion id: text typed} from a criteria form."""
    return {c.id: form[criterion_name(c)].data for c in stage.criteria}


class ObjectionForm(Form):
    reason = TextAreaField(_l("Reason for the objection"))
    url = StringField(_l("New evidence: link (optional)"))


class AssignForm(Form):
    reviewer = SelectField(_l("Reviewer"), coerce=str)


class DecisionForm(Form):
    decision = RadioField(_l("Decision"), choices=choices([("accept", _l("Accept with a new value")),
                                                           ("reject", _l("Reject"))]))
    reason = TextAreaField(_l("Reason"))
