"""The kinds of error a client can cause, known to the domain without knowing HTTP.

Services and the access module raise subclasses of these; each door (the API's exception
handler, the pages, a WebSocket consumer) translates the kind into its own answer once.
"""


class DomainError(Exception):
    code = "invalid"

    def __init__(self, message: str, *, fields: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields or {}


class InvalidInput(DomainError):
    """What was sent breaks a rule: fix it and send again."""


class NotFound(DomainError):
    """Nothing there, or nothing this user may know exists."""

    code = "not_found"


class NotPermitted(DomainError):
    """The user may see the thing but not do this to it."""

    code = "forbidden"


class Conflict(DomainError):
    """The thing is in a state that refuses this, e.g. a read-only chat."""

    code = "conflict"


class TooLarge(DomainError):
    """What was sent is bigger than this door takes."""

    code = "too_large"


class UnsupportedType(DomainError):
    """What was sent is of a kind this door does not take (found by its content, not its name)."""

    code = "unsupported_type"


class Unprocessable(DomainError):
    """Well-formed, of an accepted kind, and still refused: e.g. a file a scanner found infected."""

    code = "unprocessable"


class OutOfStorage(DomainError):
    """The server has nowhere to keep what was sent (its storage is full or read-only); nothing
    was kept, and the same request may succeed later."""

    code = "insufficient_storage"


class RateLimited(DomainError):
    """Too many of these too fast: wait `retry_after` seconds and try again."""

    code = "rate_limited"

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after
