"""Static URLs carry ``?v=<content hash>``, so that the proxy may cache them as immutable
(deploy/nginx/bakohumas.conf) and an upgrade that changes a file changes its URL."""
from __future__ import annotations

import hashlib
import os
from functools import lru_cache

from flask import current_app

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


def is_current(endpoint: str, view_args: dict, version: str | None) -> bool:
    """Whether ``version`` is the content hash of the static file asked for: only then may
    the answer be cached for a year (an old or made-up ``v`` gets the file uncached)."""
    if not version or "filename" not in view_args:
        return False
    folder = (current_app.static_folder if endpoint == "static"
              else _blueprint_folder(current_app, endpoint))
    return bool(folder) and _digest(os.path.join(folder, view_args["filename"])) == version


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
