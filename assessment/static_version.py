"""Static URLs carry ``?v=<content hash>``, so that the proxy may cache them as immutable
(deploy/nginx/bakohumas.conf) and an upgrade that changes a file changes its URL."""
from __future__ import annotations

import hashlib
import os
from functools import lru_cache

ENDPOINTS = {"static": None, "bootstrap.static": None}


def init_app(app) -> None:
    folders = {"static": app.static_folder}

    @app.url_defaults
    def _version(endpoint, values):
        if endpoint not in ENDPOINTS or "filename" not in values or "v" in values:
            return
        folder = folders.get(endpoint) or _blueprint_folder(app, endpoint)
        if folder:
            digest = _digest(os.path.join(folder, values["filename"]))
            if digest:
                values["v"] = digest


def _blueprint_folder(app, endpoint: str) -> str | None:
    blueprint = app.blueprints.get(endpoint.split(".")[0])
    return getattr(blueprint, "static_folder", None)


@lru_cache(maxsize=512)
def _digest(path: str) -> str | None:
    try:
        with open(path, "rb") as handle:
            return hashlib.sha256(handle.read()).hexdigest()[:12]
    except OSError:
        return None
