"""Login and logout, with throttling against password guessing."""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from .. import audit
from ..extensions import db
from ..operations.accounts import user_by_username
from ..security import (clear_failures, login_blocked, record_failure, safe_next, throttle_keys,
                        verify_login)
from ..forms.auth import LoginForm

bp = Blueprint("auth", __name__, url_prefix="/akun")


@bp.route("/masuk", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = LoginForm()
    if form.validate_on_submit():
        keys = throttle_keys(form.username.data, request.remote_addr)
        if login_blocked(keys):
            flash(_("Too many failed attempts. Please wait 15 minutes and try again."), "danger")
            return render_template("auth/login.html", form=form), 429
        user = user_by_username(db.session, form.username.data)
        if not verify_login(user, form.password.data):
            record_failure(keys)
            flash(_("Wrong username or password."), "danger")
            return render_template("auth/login.html", form=form), 401
        clear_failures(keys)
        login_user(user)
        audit.record("login", user, user=user)
        return redirect(safe_next(request.args.get("next")))
    return render_template("auth/login.html", form=form)


@bp.before_app_request
def _refuse_nul_characters():
    """NUL in a query parameter or form field is never text a person typed, and PostgreSQL
    refuses it in text (a server error deep in whatever query used it): 400 up front."""
    values = [v for vs in request.args.listvalues() for v in vs]
    values += [v for v in (request.view_args or {}).values() if isinstance(v, str)]
    if request.method == "POST" and request.mimetype in ("multipart/form-data",
                                                         "application/x-www-form-urlencoded"):
        values += [v for vs in request.form.listvalues() for v in vs]
    if any("\x00" in value for value in values):
        abort(400)


@bp.route("/keluar", methods=["POST"])
@login_required
def logout():
    logout_user()
    flash(_("You have logged out."), "info")
    return redirect(url_for("auth.login"))
