"""The crawl's failure list: requests that exhausted their tries, kept with the reason."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from twisted.python.failure import Failure

from scrape_assets.crawler.middlewares.soft_ban import BLOCKED_MESSAGE


@dataclass(frozen=True)
class FailedRequest:
    """A request given up on: its URL, the last HTTP status (if any), tries made, the error, and
    its named outcome (`http_503`, `timeout`, `oversized`, `offsite_redirect`, ...)."""

    url: str
    status: int | None
    tries: int
    error: str
    outcome: str = "error"

    def to_dict(self) -> dict:
        return asdict(self)


def failed_request(failure: Failure, max_tries: int) -> FailedRequest:
    """Describe a Scrapy errback failure (HttpError or a download exception)."""
    request = failure.request  # type: ignore[attr-defined]  # Scrapy sets it on errback failures
    response = getattr(failure.value, "response", None)
    tries = request.meta.get("retry_times", 0) + 1
    status = response.status if response is not None else None
    error = f"HTTP {status}" if status is not None else f"{failure.type.__name__}: {failure.getErrorMessage()}"
    return FailedRequest(
        url=request.url,
        status=status,
        tries=min(tries, max_tries),
        error=error,
        outcome=outcome_of(failure.type.__name__, error, status, request.meta),
    )


def outcome_of(error_type: str, message: str, status: int | None, meta: dict) -> str:
    """A short name for why a request failed, for counting outcomes."""
    text = f"{error_type} {message}".lower()
    if status is not None:
        return f"http_{status}"
    if BLOCKED_MESSAGE in text:
        return "blocked"
    if "robots.txt" in text:
        return "robots_denied"
    if "offsite" in text:
        return "offsite_redirect" if meta.get("redirect_urls") else "offsite"
    if "max size" in text:
        return "oversized"
    if "target outage" in text:
        return "target_outage"
    if "proxy pool exhausted" in text:
        return "proxy_pool_exhausted"
    if "timeout" in text or "timed out" in text:
        return "timeout"
    if "dataloss" in text or "data loss" in text or "potentialdataloss" in text:
        return "truncated"
    if "refused" in text:
        return "connection_refused"
    if "connectionlost" in text or "responsefailed" in text or "reset" in text or "connection lost" in text:
        return "connection_lost"
    return "error"
