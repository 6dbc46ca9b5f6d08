"""The user's notices: unread first or all, marked read one by one or all at once; the
unread count shown in the menu bar (one COUNT per page)."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import ngettext
from flask_login import current_user, login_required

from ..extensions import db
from ..forms.accounts import ConfirmForm
from ..models import Notice
from ..operations import notices as notice_ops
from .lookups import own_or_404, query_page

bp = Blueprint("notices", __name__, url_prefix="/pemberitahuan")
PAGE_SIZE = 50


def unread_count() -> int:
    if not current_user.is_authenticated:
        return 0
    return notice_ops.unread_count(db.session, current_user)


@bp.record_once
def _in_templates(state):
    state.app.jinja_env.globals["unread_notices"] = unread_count


@bp.route("/")
@login_required
def index():
    show_all = request.args.get("tampil") == "semua"
    page = query_page(notice_ops.notice_list(current_user, show_all), PAGE_SIZE)
    return render_template("notices/index.html", page=page, show_all=show_all,
                           confirm=ConfirmForm(formdata=None))


def _back():
    return redirect(url_for(".index", tampil=request.args.get("tampil") or None))


@bp.route("/<int:notice_id>/dibaca", methods=["POST"])
@login_required
def mark_read(notice_id):
    notice = own_or_404(Notice, notice_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    notice_ops.mark_read(db.session, notice, current_user)
    return _back()


@bp.route("/dibaca-semua", methods=["POST"])
@login_required
def mark_all_read():
    if not ConfirmForm().validate_on_submit():
        abort(400)
    count = notice_ops.mark_all_read(db.session, current_user)
    flash(ngettext("%(num)d notice marked as read.", "%(num)d notices marked as read.", count), "info")
    return _back()
