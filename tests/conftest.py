"""Shared test set-up. Hypothesis: HYPOTHESIS_PROFILE=thorough for a deep run."""
import os

from hypothesis import settings

settings.register_profile("default", max_examples=80, deadline=None)
settings.register_profile("thorough", max_examples=3000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))
