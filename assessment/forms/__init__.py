"""Forms: fixed ones as classes, rubric-driven ones built per call (see questionnaire.py)."""
from .questionnaire import FIELD_KINDS, SubmitForm, aspect_form, aspect_form_class

__all__ = ["FIELD_KINDS", "SubmitForm", "aspect_form", "aspect_form_class"]
