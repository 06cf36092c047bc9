"""One error taxonomy for every venue adapter.

    VenueError                      base: venue, message (secrets redacted), retryable flag
    +- TransportError               connection refused/reset, timeout, socket closed (retryable)
    |  +- RateLimitError            HTTP 429 or a venue rate-limit reply; `retry_after` seconds (retryable)
    |  +- ServerError               HTTP 5xx (retryable)
    +- RequestError                 the venue refused the request as malformed (HTTP 4xx, bad params)
    +- AuthenticationError          bad signature, unknown wallet/key, bad or replayed nonce
    +- OrderRejectedError           the venue understood the order and refused it (margin, tick, ...)
    +- MalformedMessageError        a venue frame that does not decode to its schema
    +- ConfigurationError           missing credentials, unknown instrument, bad URL

Venue modules classify replies into these (e.g. `classify_venue_message`) so strategies and the
transport layer handle "retry later", "fix the request" and "the venue said no" the same way on
every venue.
"""

from __future__ import annotations

from adapters.common.credentials import redact


class VenueError(Exception):
    retryable: bool = False

    def __init__(self, message: str, *, venue: str | None = None, status: int | None = None) -> None:
        self.venue = venue
        self.status = status
        self.message = redact(message)
        self.body: str | None = None  # the (redacted) HTTP body of an HTTP error, for venue decoding
        prefix = f"{venue}: " if venue else ""
        super().__init__(f"{prefix}{self.message}")


class TransportError(VenueError):
    retryable = True


class RateLimitError(TransportError):
    def __init__(
        self,
        message: str,
        *,
        venue: str | None = None,
        status: int | None = 429,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message, venue=venue, status=status)
        self.retry_after = retry_after


class ServerError(TransportError):
    pass


class RequestError(VenueError):
    pass


class AuthenticationError(VenueError):
    pass


class OrderRejectedError(VenueError):
    pass


class MalformedMessageError(VenueError):
    pass


class ConfigurationError(VenueError):
    pass


def http_error(status: int, body: str, *, venue: str, retry_after: float | None = None) -> VenueError:
    """The taxonomy member for an HTTP error status with its (truncated, redacted) body."""
    text = body.strip().replace("\n", " ")
    if len(text) > 500:
        text = text[:500] + "..."
    message = f"HTTP {status}: {text or '(empty body)'}"
    error: VenueError
    if status == 429:
        error = RateLimitError(message, venue=venue, retry_after=retry_after)
    elif status >= 500:
        error = ServerError(message, venue=venue, status=status)
    elif status in (401, 403):
        error = AuthenticationError(message, venue=venue, status=status)
    else:
        error = RequestError(message, venue=venue, status=status)
    error.body = redact(body[:4000])
    return error
