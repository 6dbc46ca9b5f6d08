"""Home, health check and language choice."""
from flask import Blueprint, jsonify, redirect, request, session, url_for
from flask_login import current_user
from sqlalchemy import text

from ..extensions import csrf, db

bp = Blueprint("main", __name__)


@bp.route("/")
def index():
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    return redirect(url_for("dashboard.home"))


@bp.route("/healthz")
@csrf.exempt
def healthz():
    try:
        db.session.execute(text("SELECT 1"))
    except Exception as exc:  # any driver error means the database is not usable
        db.session.rollback()
        return jsonify(status="error", database="unreachable",
                       reason=type(exc).__name__), 503
    return jsonify(status="ok", database="ok")


@bp.route("/bahasa/<lang>", methods=["POST"])
def set_language(lang):
    if lang in ("id", "en"):
        session["lang"] = lang
    target = request.form.get("next") or ""
    # only local paths, so the switch cannot be used as an open redirect
    if not target.startswith("/") or target.startswith("//"):
        target = url_for("main.index")
    return redirect(target)
