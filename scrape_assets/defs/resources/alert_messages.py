"""What an alert says: one dataclass, rendered as Slack-compatible JSON (`text` plus Block Kit)."""

from __future__ import annotations

from dataclasses import dataclass

MAX_ERROR_CHARS = 1500


@dataclass(frozen=True)
class Alert:
    """A failure an on-call engineer must look at, with a link to the run in the Dagster UI."""

    kind: str  # "run failed" or "check failed"
    target: str
    partition: str
    failed: str  # the step key or the check that failed
    error: str
    run_url: str

    @property
    def text(self) -> str:
        """One-line summary (Slack's notification text, and the log line when no webhook is set)."""
        return f"[scrape-assets] {self.kind}: {self.target} {self.partition} at {self.failed}: {self.first_line}"

    @property
    def first_line(self) -> str:
        return (self.error.strip().splitlines() or ["(no message)"])[0][:300]

    def slack_payload(self) -> dict:
        """A Slack incoming-webhook body; `text` alone suffices for Slack-compatible receivers."""
        error = self.error.strip()[:MAX_ERROR_CHARS]
        return {
            "text": self.text,
            "blocks": [
                {"type": "header", "text": {"type": "plain_text", "text": f"{self.target}: {self.kind}"}},
                {
                    "type": "section",
                    "fields": [
                        {"type": "mrkdwn", "text": f"*Target*\n{self.target}"},
                        {"type": "mrkdwn", "text": f"*Partition*\n{self.partition}"},
                        {"type": "mrkdwn", "text": f"*Failed*\n{self.failed}"},
                        {"type": "mrkdwn", "text": f"*Run*\n<{self.run_url}|open in Dagster>"},
                    ],
                },
                {"type": "section", "text": {"type": "mrkdwn", "text": f"```{error}```"}},
            ],
        }
