"""The audit log in words: what happened, as a sentence in the interface language, for
each recorded action (the raw action and details stay available behind a toggle)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

ROLE_NAMES = {"admin": _l("Administrator"), "judge": _l("Judge (penilai)"),
              "operator": _l("Operator"), "monitor": _l("Provincial monitor")}

SENTENCES = {
    "login": _l("Logged in"),
    "login.failed": _l("Failed login"),
    "user.create": _l("Created an account"),
    "user.password_change": _l("Changed their own password"),
    "user.password_reset": _l("Reset an account's password to a one-time password"),
    "user.password_reset_done": _l("Set a new password with a reset link"),
    "user.reset_request": _l("Asked for a password reset link"),
    "user.deactivate": _l("Deactivated an account"),
    "user.reactivate": _l("Reactivated an account"),
    "user.email": _l("Changed an account's e-mail address"),
    "user.activate": _l("Activated an account with a letter's code"),
    "user.activation_letters": _l("Created activation letters for every unit"),
    "token.create": _l("Created an API token"),
    "token.revoke": _l("Revoked an API token"),
    "submission.create": _l("Started the questionnaire"),
    "submission.save": _l("Saved answers of the questionnaire"),
    "submission.submit": _l("Submitted the questionnaire"),
    "submission.resubmit": _l("Submitted the revised questionnaire"),
    "submission.return": _l("Returned the questionnaire for revision"),
    "evidence.add": _l("Added evidence"),
    "evidence.delete": _l("Removed evidence"),
    "period.open": _l("Opened an assessment period"),
    "period.edit": _l("Changed a period's title or dates"),
    "period.extend": _l("Extended a deadline"),
    "period.shorten": _l("Moved a deadline earlier"),
    "period.archive": _l("Archived a period"),
    "period.unarchive": _l("Took a period out of the archive"),
    "period.delete": _l("Deleted a period"),
    "notice.reminder": _l("Sent a deadline reminder"),
    "notice.manual_reminder": _l("Sent a reminder from the progress list"),
    "notice.read": _l("Read a notice"),
    "notice.read_all": _l("Marked all notices as read"),
    "notice.email_failed": _l("An e-mail could not be delivered"),
    "assignment.add": _l("Assigned a judge to a unit"),
    "assignment.auto": _l("Assigned judges automatically"),
    "assignment.end": _l("Ended a judge's assignment"),
    "assignment.drop_out": _l("A judge dropped out"),
    "verification.save": _l("Saved a verification"),
    "verification.complete": _l("Completed a verification"),
    "verification.reopen": _l("Reopened a verification"),
    "moderation.record": _l("Moderated a disagreement between judges"),
    "stage_score.save": _l("Saved a stage-two score"),
    "objection.file": _l("Filed an objection (sanggahan)"),
    "objection.assign": _l("Assigned an objection to a reviewer"),
    "objection.decide": _l("Decided an objection"),
    "run.provisional": _l("Computed a provisional ranking"),
    "run.final": _l("Computed the final ranking"),
    "run.publish": _l("Published the results"),
    "season.exclude_unit": _l("Excluded a unit from the assessment"),
    "season.accept_disagreement": _l("Accepted a disagreement between judges"),
    "good_practice.opt_in": _l("Offered an answer as good practice"),
    "good_practice.opt_out": _l("Withheld an answer from the good-practice library"),
    "good_practice.publish": _l("Published a good practice"),
    "good_practice.withdraw": _l("Withdrew a good practice"),
    "judging.settings": _l("Changed the judging settings"),
    "rubric.load": _l("Loaded a rubric edition"),
    "units.import": _l("Imported the work-unit registry"),
    "monitor.channel_add": _l("Added a publication channel"),
    "monitor.channel_remove": _l("Removed a publication channel"),
    "monitor.post_log": _l("Logged publications"),
    "monitor.activity_add": _l("Added an activity"),
    "monitor.coverage": _l("Confirmed activity coverage"),
    "monitor.stage_add": _l("Added an election stage"),
    "demo.create": _l("Created the demo data"),
}


def sentence(action: str) -> str:
    """What the action was, in words; an unknown action is shown as it is stored."""
    text = SENTENCES.get(action)
    return str(text) if text is not None else action


def role_name(role: str | None) -> str:
    return str(ROLE_NAMES.get(role, role or ""))
