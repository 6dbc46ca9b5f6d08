"""Returns for revision, disagreement flags and moderation, claimed-versus-verified gaps, judge quality."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("moderation", __name__, url_prefix="/admin/moderation")
