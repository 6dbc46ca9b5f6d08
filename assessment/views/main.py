"""Home, health check and language choice."""

from flask import Blueprint, current_app, jsonify, redirect, render_template, request, session, url_for
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError
from flask_login import current_user

from ..extensions import csrf, db
from ..operations import OperationError
from ..operations.health import health
from ..redis_store import client_of
from ..security import safe_next

bp = Blueprint("main", __name__)


@bp.route("/")
def index():
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    return redirect(url_for("dashboard.home"))


@bp.route("/healthz")
@csrf.exempt
def healthz():
    body, status = health(db.session, client_of(current_app))
    return jsonify(body), status


@bp.route("/favicon.ico")
def favicon():
    # browsers ask for /favicon.ico before reading the page's <link rel="icon">
    return redirect(url_for("static", filename="favicon.svg"), code=301)


@bp.route("/bahasa/<lang>", methods=["POST"])
def set_language(lang):
    if lang in ("id", "en"):
        session["lang"] = lang
    # a page answered to a POST names the page it came from (its referrer); only local
    # paths are followed, so the switch cannot be used as an open redirect
    return redirect(safe_next(request.form.get("next")))


# Pages for errors, in the interface language (the API answers its own errors as JSON).
ERRORS = {
    400: (_l("The request could not be understood"),
          _l("Something in the request was not valid. Go back, reload the page and try again.")),
    403: (_l("Not allowed"),
          _l("Your account may not open this page. If you think it should, contact the bureau's "
             "administrator.")),
    404: (_l("Page not found"),
          _l("The address may be mistyped, or the page no longer exists.")),
    405: (_l("Not allowed"), _l("This address does not take that kind of request.")),
    413: (_l("The file is too large"),
          _l("The upload is larger than allowed. Make the file smaller and try again.")),
    429: (_l("Too many attempts"), _l("Please wait a few minutes and try again.")),
    500: (_l("Something went wrong"),
          _l("The error was recorded. Nothing you saved before is lost; please try again in a "
             "moment.")),
}
CSRF_MESSAGE = _l("The form has expired or did not come from this site. Reload the page and "
                  "submit it again; what you typed on the page is not saved yet.")


@bp.app_errorhandler(HTTPException)
def error_page(exc: HTTPException):
    code = exc.code or 500
    title, message = ERRORS.get(code, ERRORS[500 if code >= 500 else 400])
    if isinstance(exc, CSRFError):
        message = CSRF_MESSAGE
    return render_template("error.html", code=code, title=title, message=message), code


@bp.app_errorhandler(OperationError)
def refused_page(exc: OperationError):
    """An operation refused and no view answered it (the request was rolled back)."""
    title, _message = ERRORS.get(exc.status, ERRORS[400])
    return render_template("error.html", code=exc.status, title=title,
                           message=exc.message), exc.status


@bp.app_errorhandler(Exception)
def unexpected_error(exc: Exception):
    # the request's transaction is already rolled back (assessment/transaction.py)
    if isinstance(exc, HTTPException):
        return error_page(exc)
    current_app.logger.exception("unhandled error")
    return error_page(InternalServerError())
