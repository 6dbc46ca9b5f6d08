"""Transitional: the page modules that still add API routes (verify, results, feedback) import
the API's blueprint and helpers from here until those routes move into assessment/api/."""
from ..api.core import ApiError, body_limit, bp, find_period, iso, parse_json, too_large

__all__ = ["ApiError", "body_limit", "bp", "find_period", "iso", "parse_json", "too_large"]
