"""Database models, one module per area. Scores are never stored here as properties:
they come from scoring/ (see assessment/scores.py)."""
from .audit import AuditLog
from .judging import (GoodPractice, JudgeAssignment, Moderation, Objection, PracticeOptOut,
                      Publication, RevisionRequest, ScoringRun, StageScore, Verification)
from .monitor import ElectionStage, MonitorActivity, MonitorChannel, MonitorItem
from .notices import Notice, ReminderSent
from .periods import DeadlineExtension, Period, RubricEdition
from .period_version import PeriodVersion
from .season import DisagreementAcceptance, UnitExclusion
from .sessions import UserSession
from .submissions import Evidence, Submission, SubmissionSnapshot
from .units import WorkUnit
from .users import AccountLink, ApiToken, LoginAttempt, User

__all__ = ["AccountLink", "ApiToken", "AuditLog", "DeadlineExtension", "ElectionStage", "DisagreementAcceptance", "Evidence", "GoodPractice",
           "JudgeAssignment", "LoginAttempt", "Moderation", "MonitorActivity",
           "MonitorChannel", "MonitorItem", "Notice", "Objection", "Period", "PeriodVersion",
           "PracticeOptOut", "Publication", "ReminderSent", "RevisionRequest", "RubricEdition",
           "ScoringRun", "StageScore", "Submission", "SubmissionSnapshot", "UnitExclusion", "User",
           "UserSession", "Verification", "WorkUnit"]
