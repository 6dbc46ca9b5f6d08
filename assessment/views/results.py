"""Scoring runs, finalisation, publication and the public results pages."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("results", __name__)
