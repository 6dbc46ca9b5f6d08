"""The bureau's administration: assessment periods, deadline extensions, the audit log.
Every page here is for administrators only (checked once for the whole blueprint)."""
from __future__ import annotations

import json
from types import SimpleNamespace
from datetime import datetime, timezone

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from ..extensions import db
from ..forms.fields import choices
from ..transaction import attempt
from ..audit_text import role_name, sentence
from ..models import Period
from ..models.units import WIB
from ..navigation import ADMINISTRATION, SEASON, nav
from ..operations import Closed, Invalid
from ..operations.season import period_state
from ..operations import Conflict
from ..operations.audit_log import audit_actions, audit_entries, audit_names
from ..operations.periods import (WouldClose, archive_period, delete_period, edit_period,
                                  extend_deadline, extension_authors, open_period,
                                  periods_newest_first, questionnaire_count, unarchive_period)
from ..operations.registry import editions_by_id
from ..progress import LEVEL_LABELS, participating_units
from ..text import shown
from ..forms.admin import AuditFilterForm, EditPeriodForm, ExtensionForm, PeriodForm, ReasonForm
from .lookups import list_args, period_or_404, query_page
from .access import admins_only

bp = Blueprint("admin", __name__, url_prefix="/admin")
admins_only(bp)
nav("admin.periods", _l("Periods"), roles=("admin",), order=60, group=SEASON)
nav("admin.audit", _l("Audit log"), roles=("admin",), order=70, group=ADMINISTRATION)

AUDIT_PAGE_SIZE = 50


def wib_to_utc(value: datetime) -> datetime:
    """A naive date-time typed in WIB, as an aware UTC datetime."""
    return value.replace(tzinfo=WIB).astimezone(timezone.utc)


def wib_naive(moment: datetime) -> datetime:
    """An aware datetime as the naive WIB value a datetime-local field shows."""
    return moment.astimezone(WIB).replace(tzinfo=None)


@bp.route("/periode/")
def periods():
    rows = periods_newest_first(db.session)
    return render_template("admin/periods.html", periods=rows, level_labels=LEVEL_LABELS)


@bp.route("/periode/baru", methods=["GET", "POST"])
def new_period():
    form = PeriodForm()
    form.rubric_id.choices = choices((r.id, f"{r.title} ({r.id})")
                                     for r in editions_by_id(db.session))
    if form.validate_on_submit():
        try:
            with attempt():
                period = open_period(db.session, slug=form.slug.data, title=form.title.data.strip(),
                                     rubric_id=form.rubric_id.data, levels=form.levels.data,
                                     opens_at=wib_to_utc(form.opens_at.data),
                                     closes_at=wib_to_utc(form.closes_at.data), user=current_user)
        except Invalid as exc:
            form.slug.errors.append(exc.message)
        else:
            flash(_("Period %(title)s created.", title=period.title), "success")
            return _to_period(period)
    return render_template("admin/period_form.html", form=form)


@bp.route("/periode/<period_slug>/", methods=["GET", "POST"])
def period(period_slug):
    period = period_or_404(period_slug)
    form = _extension_form(period)
    if form.validate_on_submit():
        try:
            with attempt():
                extend_deadline(db.session, period, wib_to_utc(form.closes_at.data),
                                form.reason.data, current_user,
                                unit_code=form.unit_code.data or None, confirm=form.confirm.data)
        except (Invalid, Conflict, Closed) as exc:
            (form.confirm if isinstance(exc, WouldClose) else form.closes_at).errors.append(exc.message)
        else:
            flash(_("The deadline was changed."), "success")
            return _to_period(period, "#history")
    return render_template("admin/period.html", period=period, form=form,
                           reason_form=ReasonForm(formdata=None),
                           questionnaires=questionnaire_count(db.session, period),
                           general_close=period_state(period).closes_for(None),
                           units={u.code: u for u in participating_units(db.session, period)},
                           users=extension_authors(db.session, period),
                           level_labels=LEVEL_LABELS)


@bp.route("/periode/<period_slug>/ubah", methods=["GET", "POST"])
def edit_period_page(period_slug):
    period = period_or_404(period_slug)
    form = EditPeriodForm(obj=None if request.method == "POST" else _edit_values(period))
    if form.validate_on_submit():
        try:
            with attempt():
                edit_period(db.session, period, current_user, title=form.title.data,
                            opens_at=wib_to_utc(form.opens_at.data),
                            closes_at=wib_to_utc(form.closes_at.data),
                            reason=form.reason.data, confirm=form.confirm.data)
        except (Invalid, Conflict, Closed) as exc:
            field = {"title": form.title, "closes_at": form.closes_at}.get(
                next(iter(exc.details or {}), ""), form.confirm if isinstance(exc, WouldClose) else form.reason)
            field.errors.append(exc.message)
        else:
            flash(_("The period was changed."), "success")
            return _to_period(period)
    return render_template("admin/period_edit.html", period=period, form=form), \
        422 if form.errors else 200


def _edit_values(period: Period):
    """The form's starting values: the title and the dates in WIB as typed."""
    return SimpleNamespace(title=period.title, opens_at=wib_naive(period.opens_at),
                           closes_at=wib_naive(period_state(period).closes_for(None)), reason="",
                           confirm=False)


@bp.route("/periode/<period_slug>/arsip", methods=["POST"])
def archive(period_slug):
    period = period_or_404(period_slug)
    reason = _reason_given()
    if reason is None:
        return _to_period(period, "#archive")
    if period.archived_at is None:
        archive_period(db.session, period, reason, current_user)
        flash(_("The period was archived: no reminders, and nothing in it can be changed."), "success")
    else:
        unarchive_period(db.session, period, reason, current_user)
        flash(_("The period was taken out of the archive."), "success")
    return _to_period(period)


@bp.route("/periode/<period_slug>/hapus", methods=["POST"])
def delete(period_slug):
    period = period_or_404(period_slug)
    reason = _reason_given()
    if reason is None:
        return _to_period(period, "#delete")
    title = period.title
    try:
        with attempt():
            delete_period(db.session, period, reason, current_user)
    except Conflict as exc:
        flash(exc.message, "danger")
        return _to_period(period, "#delete")
    flash(_("The period %(title)s was deleted.", title=title), "success")
    return redirect(url_for("admin.periods"))


def _reason_given() -> str | None:
    """The reason typed in one of the period page's reason forms; None, with a message,
    when there is none."""
    form = ReasonForm()
    if form.validate_on_submit():
        return form.reason.data
    flash(_("Give a reason."), "danger")
    return None


def _to_period(period: Period, anchor: str = ""):
    return redirect(url_for("admin.period", period_slug=period.slug) + anchor)


def _extension_form(period: Period) -> ExtensionForm:
    form = ExtensionForm()
    form.unit_code.choices = choices([("", _("Every unit"))] + [
        (u.code, f"{u.code} — {u.name}") for u in participating_units(db.session, period)])
    return form


@bp.route("/audit/")
def audit():
    form = AuditFilterForm(request.args)
    all_periods = periods_newest_first(db.session)
    form.action.choices = choices([("", _("All"))] + [(a, sentence(a))
                                                     for a in audit_actions(db.session)])
    form.period.choices = choices([("", _("All"))] + [(str(p.id), p.title) for p in all_periods])
    query = audit_entries(**_audit_filters(form)) if form.validate() else audit_entries()
    page = query_page(query, AUDIT_PAGE_SIZE)
    args = list_args()
    periods = {p.id: p.title for p in all_periods}
    people, units = audit_names(db.session, page.items)
    return render_template("admin/audit.html", form=form, page=page, args=args, periods=periods,
                           people=people, units=units, sentence=sentence, role_name=role_name)


def _audit_filters(form: AuditFilterForm) -> dict:
    return {"action": form.action.data, "username": form.user.data, "unit": form.unit.data,
            "period_id": int(form.period.data) if form.period.data else None,
            "date_from": form.date_from.data, "date_to": form.date_to.data}


@bp.app_template_filter("detail_items")
def detail_items(detail) -> list[tuple[str, str]]:
    """An audit entry's detail as (key, text) pairs, for escaped display."""
    # rows are append-only, so text stored before the boundary checks is escaped here
    if not isinstance(detail, dict):
        return [("", shown(str(detail)))]
    return [(shown(str(k)), shown(v if isinstance(v, str) else json.dumps(v, ensure_ascii=False)))
            for k, v in detail.items()]
