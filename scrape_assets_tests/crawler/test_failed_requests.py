"""Every way a request can fail has a name."""

from __future__ import annotations

import pytest

from scrape_assets.crawler.failed_requests import outcome_of


@pytest.mark.parametrize(
    ("error_type", "message", "status", "meta", "outcome"),
    [
        ("HttpError", "Ignoring non-200 response", 503, {}, "http_503"),
        ("IgnoreRequest", "Forbidden by robots.txt", None, {}, "robots_denied"),
        (
            "IgnoreRequest",
            "Filtered offsite request to 'offsite.invalid'",
            None,
            {"redirect_urls": ["u"]},
            "offsite_redirect",
        ),
        (
            "DownloadCancelledError",
            "Received 300000 bytes which is larger than download max size (100000)",
            None,
            {},
            "oversized",
        ),
        ("DownloadTimeoutError", "Getting http://x took longer than 1.0 seconds.", None, {}, "timeout"),
        ("ResponseDataLossError", "data loss", None, {}, "truncated"),
        ("DownloadConnectionRefusedError", "Connection was refused", None, {}, "connection_refused"),
        ("ResponseFailed", "[<twisted.python.failure.Failure ConnectionLost>]", None, {}, "connection_lost"),
        ("IgnoreRequest", "target outage: breaker open for over 3s", None, {}, "target_outage"),
    ],
)
def test_outcome_names(error_type, message, status, meta, outcome):
    assert outcome_of(error_type, message, status, meta) == outcome
