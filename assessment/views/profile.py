"""The user's own account: details, password change and personal API tokens."""
from datetime import timedelta

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user

from ..extensions import db
from ..transaction import attempt
from ..models import ApiToken
from ..models.types import utcnow
from ..operations import Invalid, tokens
from ..forms.accounts import OwnEmailForm
from ..forms.profile import PasswordForm, RevokeForm, TokenForm
from ..operations.accounts import change_password as set_new_password
from ..operations.accounts import set_email
from ..roster import MIN_PASSWORD
from ..security import login_blocked, record_failure, throttle_keys
from .lookups import own_or_404

bp = Blueprint("profile", __name__, url_prefix="/akun/profil")
# reached from the account name at the right of the menu bar (base.html)

def _page(password_form=None, token_form=None, secret=None, status=200, email_form=None):
    user = current_user
    return render_template(
        "profile/index.html", user=user, zone=user.unit.time_zone if user.unit else "WIB",
        tokens=tokens.user_tokens(db.session, user), now=utcnow(), secret=secret,
        min_password=MIN_PASSWORD,
        email_form=email_form or OwnEmailForm(formdata=None, data={"email": user.email}),
        password_form=password_form or PasswordForm(formdata=None),
        token_form=token_form or TokenForm(formdata=None)), status


@bp.route("", methods=["GET"])
@login_required
def index():
    return _page()


@bp.route("/kata-sandi", methods=["POST"])
@login_required
def change_password():
    form = PasswordForm()
    if not form.validate_on_submit():
        return _page(password_form=form, status=422)
    keys = throttle_keys(current_user.username, request.remote_addr)
    if login_blocked(keys):
        flash(_("Too many failed attempts. Please wait 15 minutes and try again."), "danger")
        return _page(status=429)
    user = current_user._get_current_object()
    try:
        with attempt():
            set_new_password(db.session, user, form.current_password.data, form.new_password.data)
    except Invalid as exc:
        _show_password_error(form, exc, keys)
        return _page(password_form=form, status=422)
    login_user(user)  # this session continues under the new session epoch; the others end
    flash(_("Your password has been changed. Your other sessions have been logged out."), "success")
    return redirect(url_for(".index"))


def _show_password_error(form, exc, keys) -> None:
    if "current_password" in (exc.details or {}):
        # a guessed current password counts like a failed login (a stolen session must not
        # become a way to find the password)
        record_failure(keys)
        form.current_password.errors.append(_("The current password is wrong."))
    elif (exc.details or {}).get("new_password") == "unchanged":
        form.new_password.errors.append(_("The new password must differ from the current one."))
    else:
        form.new_password.errors.append(_("The password must have at least %(n)d characters "
                                          "and must not be the username.", n=MIN_PASSWORD))


@bp.route("/email", methods=["POST"])
@login_required
def change_email():
    """The user's own e-mail address, confirmed with the password (it receives reset
    links); a wrong password counts like a failed login."""
    form = OwnEmailForm()
    if not form.validate_on_submit():
        return _page(email_form=form, status=422)
    keys = throttle_keys(current_user.username, request.remote_addr)
    if login_blocked(keys):
        flash(_("Too many failed attempts. Please wait 15 minutes and try again."), "danger")
        return _page(status=429)
    if not current_user.check_password(form.email_password.data):
        record_failure(keys)
        form.email_password.errors.append(_("The password is wrong."))
        return _page(email_form=form, status=422)
    try:
        with attempt():
            set_email(db.session, current_user._get_current_object(), form.email.data, current_user)
    except Invalid as exc:
        form.email.errors.append(exc.message)
        return _page(email_form=form, status=422)
    flash(_("Your e-mail address was saved."), "success")
    return redirect(url_for(".index"))


@bp.route("/token", methods=["POST"])
@login_required
def create_token():
    form = TokenForm()
    if not form.validate_on_submit():
        return _page(token_form=form, status=422)
    days = int(form.expires.data)
    expires = utcnow() + timedelta(days=days) if days else None
    _token, secret = tokens.create_token(db.session, current_user, form.name.data, expires)
    # shown in this answer only: a redirect would have to carry the secret in the cookie
    return _page(secret=secret)


@bp.route("/token/<int:token_id>/cabut", methods=["POST"])
@login_required
def revoke_token(token_id):
    token = own_or_404(ApiToken, token_id)
    if not RevokeForm().validate_on_submit():
        abort(400)
    tokens.revoke_token(db.session, token, current_user)
    flash(_("The token %(name)s has been revoked.", name=token.name), "success")
    return redirect(url_for(".index"))
