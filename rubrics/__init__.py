"""Rubric editions: the model, and the YAML loader that validates them."""
from .loader import RubricError, default_rubric_path, load_rubric, parse_rubric
from .model import Aspect, Award, Indicator, Level, Predicate, Rubric, Stage

__all__ = ["Aspect", "Award", "Indicator", "Level", "Predicate", "Rubric", "RubricError",
           "Stage", "default_rubric_path", "load_rubric", "parse_rubric"]
