"""The judge's (penilai) verification workspace."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("verify", __name__, url_prefix="/penilai")
