"""Named crawl failures, shared by the crawler (which detects them) and the orchestrator (which raises them)."""

from __future__ import annotations


class CrawlFailure(Exception):
    """A crawl that ended without the pages it was asked for. `kind` names the failure class."""

    kind = "crawl_failure"

    def __init__(self, message: str, details: dict | None = None):
        super().__init__(message)
        self.details = details or {}

    def to_message(self) -> dict:
        return {"crawl_failure": {"kind": self.kind, "message": str(self), "details": self.details}}


class TargetUnreachable(CrawlFailure):
    """The target did not answer at all (connection refused, DNS, timeouts on every try)."""

    kind = "target_unreachable"


class RobotsTxtUnreachable(CrawlFailure):
    """robots.txt answered 5xx or not at all (after the crawl's retries): RFC 9309 disallows the whole
    site until it can be read, so nothing else was fetched. The target's side."""

    kind = "robots_txt_unreachable"


class FrontierIncomplete(CrawlFailure):
    """A sitemap the frontier needs could not be fetched or parsed."""

    kind = "frontier_incomplete"


class TargetOutage(CrawlFailure):
    """The circuit breaker stayed open past its limit: the target is down. Pages fetched are kept
    and the next crawl of the day resumes where this one stopped."""

    kind = "target_outage"


class TargetBlocked(CrawlFailure):
    """The target served block pages (a captcha, "access denied" with a 200) for more than
    `blocked_max_share` of the day's record pages, after retries (through other proxies when there are
    some): a ban, the target's side, not bad data. The pages stored are kept; the day's next crawl
    fetches only the blocked ones."""

    kind = "target_blocked"


class ProxyPoolExhausted(CrawlFailure):
    """Every proxy stayed benched past the limit. Pages fetched are kept; extraction can still run."""

    kind = "proxy_pool_exhausted"


class OurSideFailure(CrawlFailure):
    """Our own infrastructure failed (Redis, the page store, disk), not the target: the crawl stops at
    once, and the run counts against the success rate. Never reported as a target failure."""

    kind = "our_side_failure"


class RateLimiterUnavailable(OurSideFailure):
    """The shared rate limiter (Redis) did not answer: no request may go without its token."""

    kind = "rate_limiter_unavailable"


class SecretMissing(OurSideFailure):
    """A secret field of the target names an environment variable the crawler's environment lacks."""

    kind = "secret_missing"


class PageStoreUnavailable(OurSideFailure):
    """A response could not be written to the page store: nothing more is fetched that cannot be kept."""

    kind = "page_store_unavailable"


FAILURE_KINDS: dict[str, type[CrawlFailure]] = {
    cls.kind: cls
    for cls in (
        CrawlFailure,
        TargetUnreachable,
        RobotsTxtUnreachable,
        FrontierIncomplete,
        TargetOutage,
        TargetBlocked,
        ProxyPoolExhausted,
        OurSideFailure,
        RateLimiterUnavailable,
        SecretMissing,
        PageStoreUnavailable,
    )
}
OUR_SIDE_KINDS: dict[str, type[OurSideFailure]] = {
    kind: cls for kind, cls in FAILURE_KINDS.items() if issubclass(cls, OurSideFailure)
}


def failure_from_message(payload: dict) -> CrawlFailure:
    """Rebuild the named failure from the message the crawler reported through Pipes."""
    body = payload["crawl_failure"]
    return FAILURE_KINDS.get(body["kind"], CrawlFailure)(body["message"], body.get("details"))


# Failures that are the target's, not the pipeline's: the success rate leaves runs that end in them out.
TARGET_OUTAGES: tuple[type[CrawlFailure], ...] = (TargetUnreachable, TargetOutage, RobotsTxtUnreachable, TargetBlocked)
# A crawl stopped by one of these keeps what it stored, and extraction goes on with it (the day is partial).
STOPS_WITH_PAGES_KEPT: tuple[type[CrawlFailure], ...] = (TargetOutage, ProxyPoolExhausted)
