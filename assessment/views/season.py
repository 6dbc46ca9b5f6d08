"""The season after verification: provisional ranking, stage-two scores, masa sanggah objections."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("season", __name__, url_prefix="/musim")
