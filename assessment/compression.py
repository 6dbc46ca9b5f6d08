"""Compressed answers and long-lived static files.

Every HTML, CSS, JavaScript, JSON and SVG answer is compressed by Flask-Compress (brotli
when the client asks for it, else gzip), pages and static files alike; static files whose
URL carries their content hash (``?v=``, assessment/static_version.py) are sent as
``public, max-age=31536000, immutable``: an upgrade that changes a file changes its URL.
In production nginx serves /static/ itself with the same headers (deploy/nginx)."""
from __future__ import annotations

from flask import request
from flask_compress import Compress

from . import static_version

MIMETYPES = ["text/html", "text/css", "text/plain", "text/javascript", "application/javascript",
             "application/json", "application/problem+json", "image/svg+xml",
             "application/xml", "text/csv"]
SETTINGS = {
    "COMPRESS_MIMETYPES": MIMETYPES,
    # brotli first when the browser offers it, gzip for everything else; no zstd (not every
    # proxy in an office knows it) and no deflate (ambiguous in old browsers)
    "COMPRESS_ALGORITHM": ["br", "gzip"],
    "COMPRESS_ALGORITHM_STREAMING": ["br", "gzip"],   # static files are sent as streams
    "COMPRESS_BR_LEVEL": 5,
    "COMPRESS_LEVEL": 6,
    "COMPRESS_MIN_SIZE": 128,        # smaller answers gain nothing
}
IMMUTABLE = "public, max-age=31536000, immutable"

compress = Compress()


def init_app(app) -> None:
    for key, value in SETTINGS.items():
        app.config.setdefault(key, value)
    # registered first, so that its after_request runs last: on the finished body
    compress.init_app(app)

    @app.after_request
    def _static_cache(response):
        if (request.endpoint in static_version.ENDPOINTS and response.status_code in (200, 304)
                and static_version.is_current(request.endpoint, request.view_args or {},
                                              request.args.get("v"))):
            response.headers["Cache-Control"] = IMMUTABLE
            response.headers.pop("Expires", None)
        return response
