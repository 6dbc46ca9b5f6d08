"""A form page that outlived its login or its CSRF token keeps what was typed (the
questionnaire's and the judge's aspect pages): an autosave answers JSON and the page keeps
the text; the page's own POST is shown again with everything typed and a fresh token; a
POST after the login ended gets a page listing the typed fields. One handler for both
pages, each giving how it shows itself again."""
from __future__ import annotations

from typing import Callable

from flask import jsonify, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.exceptions import HTTPException

from ..operations import OperationError
from .main import error_page

AUTOSAVE_EXPIRED = _l("Not saved automatically: your session has ended. Log in again in another "
                      "tab; what you typed stays on this page.")


class PageExpired(OperationError):
    code = "expired"


def autosave_logged_out():
    return jsonify(error="expired", message=str(AUTOSAVE_EXPIRED)), 401


def kept_fields_page():
    """The posted fields kept on a page of their own when the login has ended: log in again
    (in another tab) and send them again; nothing is shown but what the person typed."""
    fields = [(name, value) for name, value in request.form.items(multi=True)
              if name != "csrf_token"]
    return render_template("questionnaire/expired.html", fields=fields,
                           login_url=url_for("auth.login"))   # a page, not an error: 200


def expiry_handler(autosave_endpoint: str, page_endpoint: str, show_again: Callable):
    """The CSRFError handler of a blueprint whose ``page_endpoint`` is a form page with an
    autosave at ``autosave_endpoint``. ``show_again()`` looks up the page from the request's
    view arguments (an HTTPException there, e.g. someone who may not see it, gets the plain
    refusal) and returns a callable rendering it again with what was posted."""
    def handler(exc):
        if request.endpoint == autosave_endpoint:
            return jsonify(error="expired", message=str(AUTOSAVE_EXPIRED)), 400
        if request.endpoint != page_endpoint or request.method != "POST":
            return error_page(exc)
        if not current_user.is_authenticated:
            return kept_fields_page()
        try:
            render = show_again()
        except HTTPException:
            return error_page(exc)
        return render()
    return handler
