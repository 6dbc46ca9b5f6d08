"""Each unit's feedback page after publication, and the good-practice library."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("feedback", __name__)
