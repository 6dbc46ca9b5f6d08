"""Who may open a page, checked once: the administrators' blueprints and pages."""
from __future__ import annotations

from flask import Blueprint, abort
from flask_login import current_user, login_required

from ..permissions import is_admin


def require_admin() -> None:
    """403 for anyone but an administrator (a page of a blueprint open to others)."""
    if not is_admin(current_user):
        abort(403)


def admins_only(bp: Blueprint) -> Blueprint:
    """Every page of ``bp`` is for administrators: the login page first for someone not
    logged in, 403 for anyone else."""
    bp.before_request(login_required(require_admin))
    return bp
