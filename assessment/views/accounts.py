"""Accounts run from the web by administrators: list and search, create, import a roster
(all or nothing, as ``users import``), reset to a one-time password, deactivate and
reactivate, set an e-mail, issue an API token for the account, and activation letters for
every unit. Administrators only (checked once for the whole blueprint)."""
from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from reports.activation_letter import activation_letters_zip

from ..extensions import db
from ..forms.fields import choices
from ..forms.accounts import (EXPIRY_DAYS, ROLE_LABELS, ConfirmForm, EmailForm, NewUserForm,
                              RosterForm, UserSearchForm, UserTokenForm)
from ..models import ApiToken, User
from ..models.types import utcnow
from ..models.users import ROLES
from ..navigation import ADMINISTRATION, nav
from ..operations import Conflict, Invalid, NotAllowed, tokens
from ..operations import accounts as ops
from ..roster import RosterError, credentials_workbook, import_roster
from ..transaction import attempt
from ..spreadsheets import XLSX
from .lookups import list_args, query_page
from .access import admins_only

bp = Blueprint("accounts", __name__, url_prefix="/admin/akun")
admins_only(bp)
nav("accounts.index", _l("Accounts"), roles=("admin",), order=65, group=ADMINISTRATION)

PAGE_SIZE = 50


def _account_or_404(user_id: int) -> User:
    return db.session.get(User, user_id) or abort(404)


@bp.route("/")
def index():
    form = UserSearchForm(request.args)
    form.role.choices = choices([("", _("All"))] + [(r, str(ROLE_LABELS[r])) for r in ROLES])
    form.active.choices = choices([("", _("All")), ("1", _("Active")), ("0", _("Deactivated"))])
    valid = form.validate()
    query = ops.search_users(form.q.data if valid else "", form.role.data if valid else "",
                             form.active.data if valid else "")
    page = query_page(query, PAGE_SIZE)
    args = list_args()
    return render_template("admin/accounts.html", form=form, page=page, args=args,
                           role_labels=ROLE_LABELS, new_form=_new_form(None),
                           roster_form=RosterForm(formdata=None), confirm=ConfirmForm(formdata=None))


def _new_form(formdata=...) -> NewUserForm:
    form = NewUserForm() if formdata is ... else NewUserForm(formdata=None)
    form.role.choices = choices([(r, str(ROLE_LABELS[r])) for r in ROLES])
    return form


@bp.route("/baru", methods=["GET", "POST"])
def create():
    form = _new_form()
    if form.validate_on_submit():
        try:
            with attempt():
                account, password = ops.create_user(
                    db.session, current_user, username=form.username.data, name=form.name.data,
                    email=form.email.data, role=form.role.data, unit_code=form.unit_code.data)
        except Invalid as exc:
            for name, message in (exc.details or {}).items():
                getattr(form, name, form.username).errors.append(message)
        else:
            return _one_time_page(account, password, created=True)
    return render_template("admin/account_new.html", form=form), 422 if form.errors else 200


def _one_time_page(account: User, password: str, created: bool = False):
    """The one-time password, in this answer only (never in a redirect or the session)."""
    return render_template("admin/account_password.html", account=account, password=password,
                           created=created)


@bp.route("/impor", methods=["GET", "POST"])
def import_accounts():
    form = RosterForm()
    errors = []
    if form.validate_on_submit():
        upload = form.roster.data
        try:
            with attempt():
                credentials = import_roster(db.session, upload.filename or "roster.xlsx",
                                            upload.read(), roster_web_rows(), user=current_user)
        except RosterError as exc:
            errors = str(exc).splitlines()
        else:
            name = f"akun-baru-{utcnow():%Y%m%d-%H%M}.xlsx"
            return Response(credentials_workbook(credentials), mimetype=XLSX,
                            headers={"Content-Disposition": f'attachment; filename="{name}"'})
    return render_template("admin/account_import.html", form=form, errors=errors,
                           max_rows=roster_web_rows()), 422 if errors or form.errors else 200


def roster_web_rows() -> int:
    """The most rows a roster imported here may have (a sync worker's request must end
    within GUNICORN_TIMEOUT, and each row costs a deliberately slow password hash)."""
    return min(current_app.config["XLSX_MAX_ROWS"], current_app.config["ROSTER_WEB_MAX_ROWS"])


@bp.route("/<int:user_id>/")
def show(user_id):
    return _account_page(_account_or_404(user_id))


def _account_page(account: User, secret: str | None = None, email_form=None, token_form=None,
                  status: int = 200):
    token_form = token_form or UserTokenForm(formdata=None)
    token_form.expires.choices = choices((v, str(label)) for v, label in EXPIRY_DAYS)
    return render_template(
        "admin/account.html", account=account, role_labels=ROLE_LABELS, secret=secret,
        tokens=tokens.user_tokens(db.session, account), now=utcnow(),
        email_form=email_form or EmailForm(formdata=None, data={"email": account.email}),
        token_form=token_form, confirm=ConfirmForm(formdata=None)), status


def _confirmed() -> None:
    if not ConfirmForm().validate_on_submit():
        abort(400)


@bp.route("/<int:user_id>/reset", methods=["POST"])
def reset(user_id):
    account = _account_or_404(user_id)
    _confirmed()
    password = ops.reset_password(db.session, account, current_user)
    return _one_time_page(account, password)


@bp.route("/<int:user_id>/status", methods=["POST"])
def set_status(user_id):
    account = _account_or_404(user_id)
    _confirmed()
    active = request.form.get("active") == "1"
    try:
        with attempt():
            ops.set_active(db.session, account, active, current_user)
    except NotAllowed as exc:
        flash(exc.message, "danger")
    else:
        flash(_("The account %(username)s was reactivated.", username=account.username) if active
              else _("The account %(username)s was deactivated: its sessions ended and its API "
                     "tokens were revoked.", username=account.username), "success")
    return redirect(url_for(".show", user_id=account.id))


@bp.route("/<int:user_id>/email", methods=["POST"])
def set_email(user_id):
    account = _account_or_404(user_id)
    form = EmailForm()
    if form.validate_on_submit():
        try:
            with attempt():
                ops.set_email(db.session, account, form.email.data, current_user)
        except Invalid as exc:
            form.email.errors.append(exc.message)
        else:
            flash(_("The e-mail address was saved."), "success")
            return redirect(url_for(".show", user_id=account.id))
    return _account_page(account, email_form=form, status=422)


@bp.route("/<int:user_id>/token", methods=["POST"])
def create_token(user_id):
    account = _account_or_404(user_id)
    form = UserTokenForm()
    form.expires.choices = choices((v, str(label)) for v, label in EXPIRY_DAYS)
    if not form.validate_on_submit():
        return _account_page(account, token_form=form, status=422)
    if not account.active:
        flash(_("A deactivated account gets no token."), "danger")
        return redirect(url_for(".show", user_id=account.id))
    days = int(form.expires.data)
    _token, secret = tokens.create_token(db.session, account, form.name.data,
                                         utcnow() + timedelta(days=days) if days else None)
    return _account_page(account, secret=secret)   # shown in this answer only


@bp.route("/<int:user_id>/token/<int:token_id>/cabut", methods=["POST"])
def revoke_token(user_id, token_id):
    account = _account_or_404(user_id)
    token = db.session.get(ApiToken, token_id)
    if token is None or token.user_id != account.id:
        abort(404)
    _confirmed()
    tokens.revoke_token(db.session, token, current_user)
    flash(_("The token %(name)s has been revoked.", name=token.name), "success")
    return redirect(url_for(".show", user_id=account.id))


@bp.route("/surat-aktivasi", methods=["POST"])
def activation_letters():
    _confirmed()
    try:
        with attempt():
            letters, without = ops.activation_letters(db.session, current_user)
    except Conflict as exc:
        flash(exc.message, "danger")
        return redirect(url_for(".index"))
    base = (current_app.config.get("PUBLIC_URL") or request.host_url).rstrip("/")
    link = base + url_for("recovery.activate")
    data = activation_letters_zip(letters, link, [(u.code, u.name) for u in without], utcnow())
    name = f"surat-aktivasi-{utcnow():%Y%m%d-%H%M}.zip"
    return Response(data, mimetype="application/zip",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
