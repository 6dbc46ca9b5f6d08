"""Scoring rules as pure functions over plain data (no web or database imports)."""
from .answers import AnswerError, answer_fraction, check_answer
from .engine import (Assessment, AwardRow, IndicatorDetail, Response, Result,
                     ScoringInputError, Unit, UnitResult, award_score, round2, score,
                     stage_score)
from .exchange import (assessment_from_dict, assessment_to_dict, parse_json, result_table,
                       result_to_dict)
from .sampling import sample_dates, sampled_indicators

__all__ = ["AnswerError", "Assessment", "AwardRow", "IndicatorDetail", "Response", "Result",
           "ScoringInputError", "Unit", "UnitResult", "answer_fraction", "assessment_from_dict",
           "assessment_to_dict", "award_score", "check_answer", "parse_json", "result_table",
           "result_to_dict", "round2", "sample_dates", "sampled_indicators", "score",
           "stage_score"]
