"""Operations change domain objects within the request's transaction: they flush, never
commit, and never read ``request`` or ``g``."""


class OperationError(Exception):
    """A refused operation; ``code`` is stable for the API, the message is for people."""

    code = "refused"
    status = 400

    def __init__(self, message: str, details=None):
        super().__init__(message)
        self.message = message
        self.details = details


class NotAllowed(OperationError):
    code, status = "forbidden", 403


class Conflict(OperationError):
    code, status = "conflict", 409


class Closed(OperationError):
    code, status = "closed", 409


class Invalid(OperationError):
    code, status = "invalid", 422
