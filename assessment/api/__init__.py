"""The JSON API under /api/v1, described by /api/v1/openapi.json (api/openapi.py).

Authenticated by personal bearer tokens only; every answer, errors included, is JSON. The
blueprint, its error handling, body reading and shared lookups are in ``core``; each module
beside it adds the endpoints of one area to that blueprint when imported here."""
from . import assignments, monitor, periods, results, season, submissions, verifications
from .core import bp

__all__ = ["bp", "assignments", "monitor", "periods", "results", "season", "submissions",
           "verifications"]
