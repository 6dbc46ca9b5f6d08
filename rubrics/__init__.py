"""Rubric editions: the model, and the YAML loader that validates them."""
from .loader import RubricError, default_rubric_path, load_rubric, parse_rubric
from .model import (NOT_APPLICABLE, Aspect, Award, Criterion, Indicator, Level, Predicate,
                    Rubric, Sample, Stage)

__all__ = ["NOT_APPLICABLE", "Aspect", "Award", "Criterion", "Indicator", "Level", "Predicate",
           "Rubric", "RubricError", "Sample", "Stage", "default_rubric_path", "load_rubric",
           "parse_rubric"]
