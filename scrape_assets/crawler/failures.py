"""The crawl's failure list: requests that exhausted their tries, kept with the reason."""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class FailedRequest:
    """A request given up on: its URL, the last HTTP status (if any), tries made and the error."""

    url: str
    status: int | None
    tries: int
    error: str

    def to_dict(self) -> dict:
        return asdict(self)


def failed_request(failure, max_tries: int) -> FailedRequest:  # type: ignore[no-untyped-def]
    """Describe a Scrapy errback failure (HttpError or a download exception)."""
    request = failure.request
    response = getattr(failure.value, "response", None)
    tries = request.meta.get("retry_times", 0) + 1
    status = response.status if response is not None else None
    error = f"HTTP {status}" if status is not None else f"{failure.type.__name__}: {failure.getErrorMessage()}"
    return FailedRequest(url=request.url, status=status, tries=min(tries, max_tries), error=error)
