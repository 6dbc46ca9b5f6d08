"""Serving stored uploads (evidence, objection files): one place for the headers that keep a
file from running as a page, whatever route serves it."""
from __future__ import annotations

from flask import abort, current_app, send_file

from . import uploads

# served inline (for a judge to look at) only when the browser shows them safely itself
INLINE_TYPES = ("application/pdf", "image/png", "image/jpeg")
# sandbox: an opaque origin, no scripts, no forms (browsers' own PDF viewers still render)
INLINE_CSP = ("default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; "
              "frame-ancestors 'none'; sandbox")
ATTACHMENT_CSP = "default-src 'none'; sandbox"


def send_stored(stored_name: str, content_type: str, download_name: str, *, inline: bool = False):
    """The stored file as a response: a download, or shown inline when its type (checked from
    the content at upload) is one the browser renders safely; 404 when the file is gone."""
    inline = inline and content_type in INLINE_TYPES
    try:
        path = uploads.path_of(current_app.config["UPLOAD_DIR"], stored_name)
        response = send_file(path, mimetype=content_type, as_attachment=not inline,
                             download_name=download_name, max_age=0)
    except FileNotFoundError:
        abort(404)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = INLINE_CSP if inline else ATTACHMENT_CSP
    response.headers["Cache-Control"] = "private, no-store"
    return response
