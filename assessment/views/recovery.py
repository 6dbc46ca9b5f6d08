"""Getting into an account without the password: the forgotten password by e-mail, the
activation letter, and the forced change of a one-time password (every page sends an
account that holds one here until it has its own; API tokens are not affected)."""
from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user

from ..account_links import code_digest
from ..extensions import db
from ..forms.accounts import ActivationForm, ForcedPasswordForm, ForgotForm, ResetForm
from ..operations import Invalid
from ..operations import accounts as ops
from ..operations.notices import path_for
from ..roster import MIN_PASSWORD
from ..security import clear_failures, login_blocked, record_failure, throttle_keys
from ..transaction import attempt

bp = Blueprint("recovery", __name__, url_prefix="/akun")

# what an account with a one-time password may still reach
OPEN_ENDPOINTS = {"recovery.change_password", "auth.logout", "main.set_language", "static"}


@bp.before_app_request
def _one_time_password_first():
    if (request.endpoint and request.endpoint not in OPEN_ENDPOINTS
            and not request.path.startswith("/api/") and current_user.is_authenticated
            and current_user.must_change_password):
        return redirect(url_for("recovery.change_password"))
    return None


def _throttle(kind: str, who: str) -> list[str]:
    """The login throttle's counters, kept apart per purpose (a flood of reset requests
    does not lock anyone out of the login, and the other way round)."""
    user_key, address_key = throttle_keys(who, request.remote_addr)
    return [f"{kind}:{user_key}", f"ip:{kind}:{address_key[3:]}"]


def _password_errors(form, exc: Invalid) -> None:
    if (exc.details or {}).get("new_password") == "unchanged":
        form.new_password.errors.append(_("The new password must differ from the current one."))
    elif "current_password" in (exc.details or {}):
        form.current_password.errors.append(_("The one-time password is wrong."))
    else:
        form.new_password.errors.append(_("The password must have at least %(n)d characters "
                                          "and must not be the username.", n=MIN_PASSWORD))


@bp.route("/ganti-sandi", methods=["GET", "POST"])
@login_required
def change_password():
    if not current_user.must_change_password:
        return redirect(url_for("profile.index"))
    form = ForcedPasswordForm()
    if form.validate_on_submit():
        keys = throttle_keys(current_user.username, request.remote_addr)
        if login_blocked(keys):
            flash(_("Too many failed attempts. Please wait 15 minutes and try again."), "danger")
            return render_template("auth/change_password.html", form=form,
                                   min_password=MIN_PASSWORD), 429
        user = current_user._get_current_object()
        try:
            with attempt():
                ops.change_password(db.session, user, form.current_password.data,
                                    form.new_password.data)
        except Invalid as exc:
            if "current_password" in (exc.details or {}):
                record_failure(keys)
            _password_errors(form, exc)
        else:
            login_user(user)
            flash(_("Your password has been set."), "success")
            return redirect(url_for("main.index"))
    return render_template("auth/change_password.html", form=form, min_password=MIN_PASSWORD), \
        422 if form.errors else 200


@bp.route("/lupa-sandi", methods=["GET", "POST"])
def forgot():
    form = ForgotForm()
    if form.validate_on_submit():
        keys = _throttle("reset", form.identifier.data)
        if login_blocked(keys):
            flash(_("Too many requests. Please wait 15 minutes and try again."), "danger")
            return render_template("auth/forgot.html", form=form), 429
        record_failure(keys)   # every request counts, whether the account exists or not
        ops.request_reset(db.session, form.identifier.data, current_app.config["SECRET_KEY"],
                          path_for("recovery.reset_password"))
        # the same answer whether or not there is such an account
        flash(_("If an account with that username or e-mail address exists and has an e-mail "
                "address, a link to set a new password is on its way. It works once, within "
                "an hour."), "info")
        return redirect(url_for("auth.login"))
    return render_template("auth/forgot.html", form=form), 422 if form.errors else 200


@bp.route("/sandi-baru", methods=["GET", "POST"])
def reset_password():
    form = ResetForm(data={"token": request.args.get("token", "")} if request.method == "GET" else None)
    link = ops.valid_link(db.session, "reset", form.token.data or "")
    if link is None:
        return render_template("auth/link_invalid.html"), 404
    if form.validate_on_submit() and _use_link(form, link):
        flash(_("Your password has been set. Log in with it now."), "success")
        return redirect(url_for("auth.login"))
    return render_template("auth/reset.html", form=form, account=link.user,
                           min_password=MIN_PASSWORD), 422 if form.errors else 200


@bp.route("/aktivasi", methods=["GET", "POST"])
def activate():
    form = ActivationForm(data={"token": request.args.get("token", "")} if request.method == "GET" else None)
    if form.validate_on_submit():
        who = form.username.data or form.token.data or ""
        keys = _throttle("activate", who)
        if login_blocked(keys):
            flash(_("Too many failed attempts. Please wait 15 minutes and try again."), "danger")
            return render_template("auth/activate.html", form=form, min_password=MIN_PASSWORD), 429
        link = _activation_link(form)
        if link is None:
            record_failure(keys)
            form.code.errors.append(_("This code does not match, was already used or has "
                                      "expired. Ask the bureau for a new letter."))
        elif _use_link(form, link):
            clear_failures(keys)
            flash(_("Your account is active. Log in with your username and new password."),
                  "success")
            return redirect(url_for("auth.login"))
    return render_template("auth/activate.html", form=form, min_password=MIN_PASSWORD), \
        422 if form.errors else 200


def _use_link(form, link) -> bool:
    """Set the new password the form carries through the link (which it uses up); False,
    with the refusal on the form's fields, when the password is refused."""
    try:
        with attempt():
            ops.use_link(db.session, link, form.new_password.data)
    except Invalid as exc:
        _password_errors(form, exc)
        return False
    return True


def _activation_link(form):
    """The letter's link: by its token and code, or by username and code typed from paper."""
    if form.token.data:
        link = ops.valid_link(db.session, "activation", form.token.data)
        return link if link and link.code_hash == code_digest(form.code.data) else None
    return ops.valid_link(db.session, "activation", username=form.username.data,
                          code=form.code.data)
