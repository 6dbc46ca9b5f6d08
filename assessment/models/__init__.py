"""Database models, one module per area. Scores are never stored here as properties:
they come from scoring/ (see assessment/scores.py)."""
from .audit import AuditLog
from .judging import (GoodPractice, JudgeAssignment, Moderation, Objection, PracticeOptOut,
                      Publication, RevisionRequest, ScoringRun, StageScore, Verification)
from .notices import Notice, ReminderSent
from .periods import DeadlineExtension, Period, RubricEdition
from .sessions import UserSession
from .submissions import Evidence, Submission, SubmissionSnapshot
from .units import WorkUnit
from .users import ApiToken, LoginAttempt, User

__all__ = ["ApiToken", "AuditLog", "DeadlineExtension", "Evidence", "GoodPractice",
           "JudgeAssignment", "LoginAttempt", "Moderation", "Notice", "Objection", "Period",
           "PracticeOptOut", "Publication", "ReminderSent", "RevisionRequest", "RubricEdition",
           "ScoringRun", "StageScore", "Submission", "SubmissionSnapshot", "User",
           "UserSession", "Verification", "WorkUnit"]
