"""`AlertWebhook`: where alerts go. A Slack-compatible incoming webhook when its URL is set (an
`EnvVar`: the URL is a secret), otherwise the sensor's log."""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request

from dagster import ConfigurableResource

from scrape_assets.defs.resources.alert_messages import Alert


class AlertDeliveryFailed(Exception):
    """The webhook did not accept an alert. The message never contains the webhook URL."""


class AlertWebhook(ConfigurableResource):
    """Posts alerts as JSON. `ui_base_url` makes the run links in them."""

    url: str | None = None
    ui_base_url: str = "http://127.0.0.1:3000"
    timeout_seconds: float = 10.0

    def run_url(self, run_id: str) -> str:
        return f"{self.ui_base_url.rstrip('/')}/runs/{run_id}"

    def send(self, alert: Alert, log: logging.Logger) -> None:
        """Post the alert (or log it when no URL is configured); raise AlertDeliveryFailed on refusal."""
        log.error(alert.text)
        if not self.url:
            return
        request = urllib.request.Request(
            self.url,
            data=json.dumps(alert.slack_payload()).encode(),
            headers={"content-type": "application/json"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_seconds) as response:
                response.read()
        # `from None`: the chained urllib error would carry the URL, which is a secret.
        except urllib.error.HTTPError as exc:
            raise AlertDeliveryFailed(
                f"alert webhook answered HTTP {exc.code} for {alert.kind} of {alert.target} {alert.partition}"
            ) from None
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise AlertDeliveryFailed(
                f"alert webhook unreachable ({reason}) for {alert.kind} of {alert.target} {alert.partition}"
            ) from None
