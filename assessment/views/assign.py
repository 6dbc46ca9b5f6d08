"""Judge assignment (admin): settings, automatic and manual assignment, drop-outs."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("assign", __name__, url_prefix="/admin/judging")
