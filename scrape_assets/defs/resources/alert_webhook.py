"""`AlertWebhook`: where alerts go. A Slack-compatible incoming webhook when its URL is set (an
`EnvVar`: the URL is a secret), otherwise the sensor's log."""

from __future__ import annotations

import json
import logging
import time
import urllib.error
import urllib.request

from dagster import ConfigurableResource

from scrape_assets.defs.resources.alert_messages import Alert


class AlertDeliveryFailed(Exception):
    """The webhook did not accept an alert. The message never contains the webhook URL."""


class AlertWebhook(ConfigurableResource):
    """Posts alerts as JSON. `ui_base_url` makes the run links in them. A post that fails for a reason
    that may pass (unreachable, a timeout, HTTP 429 or 5xx) is tried `max_tries` times in all, waiting
    `backoff_seconds`, then twice that, and so on; a post that still fails is logged as an error and
    raised."""

    url: str | None = None
    ui_base_url: str = "http://127.0.0.1:3000"
    timeout_seconds: float = 10.0
    max_tries: int = 4
    backoff_seconds: float = 1.0

    def run_url(self, run_id: str) -> str:
        return self.page_url(f"runs/{run_id}")

    def page_url(self, path: str) -> str:
        """A page of the Dagster UI (`runs/<id>`, `assets/<key>`)."""
        return f"{self.ui_base_url.rstrip('/')}/{path.lstrip('/')}"

    def send(self, alert: Alert, log: logging.Logger) -> None:
        """Post the alert (or log it when no URL is configured); raise AlertDeliveryFailed once every try
        failed, or at once when the webhook refuses it for good (HTTP 4xx other than 429)."""
        log.error(alert.text)
        if not self.url:
            return
        for attempt in range(1, self.max_tries + 1):
            try:
                self._post(alert)
                return
            except _PassingFailure as failure:
                if attempt == self.max_tries:
                    log.error(f"alert not delivered after {attempt} tries: {failure}")
                    raise AlertDeliveryFailed(f"{failure} (after {attempt} tries)") from None
                wait = self.backoff_seconds * 2 ** (attempt - 1)
                log.warning(f"{failure}; trying again in {wait:.1f}s (try {attempt} of {self.max_tries})")
                time.sleep(wait)
            except AlertDeliveryFailed as refused:
                log.error(f"alert not delivered: {refused}")
                raise

    def _post(self, alert: Alert) -> None:
        if self.url is None:
            return
        request = urllib.request.Request(
            self.url,
            data=json.dumps(alert.slack_payload()).encode(),
            headers={"content-type": "application/json"},
            method="POST",
        )
        about = f"for {alert.kind} of {alert.target} {alert.partition}"
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_seconds) as response:
                response.read()
        # `from None`: the chained urllib error would carry the URL, which is a secret.
        except urllib.error.HTTPError as exc:
            message = f"alert webhook answered HTTP {exc.code} {about}"
            if exc.code == 429 or exc.code >= 500:
                raise _PassingFailure(message) from None
            raise AlertDeliveryFailed(message) from None
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise _PassingFailure(f"alert webhook unreachable ({reason}) {about}") from None


class _PassingFailure(Exception):
    """A failed post that may succeed when tried again."""
