"""Launch the crawler (`python -m scrape_assets.crawler`) through Dagster Pipes and watch it.

`CrawlLauncher` is the interface the assets use; `SubprocessCrawlLauncher` runs the crawler as a
child process of the step (the embedded default). The orchestrator never fetches a page itself.
"""

from __future__ import annotations

import sys
from abc import abstractmethod
from typing import Any

from dagster import (
    AssetExecutionContext,
    ConfigurableResource,
    OpExecutionContext,
    PipesClientCompletedInvocation,
    PipesSubprocessClient,
)

from scrape_assets.crawler.outcome import failure_from_message

CRAWLER_MODULE = "scrape_assets.crawler"


class CrawlLauncher(ConfigurableResource):
    """Runs one crawl job described by Pipes `extras` and returns its reported metadata.

    Raises the crawler's named failure (`TargetUnreachable`, `FrontierIncomplete`, ...) when it
    reports one.
    """

    progress_interval_seconds: float = 5.0
    # Shares the target's rate limit with every crawler process; set from EnvVar("REDIS_URL") and
    # passed to the worker as an environment variable, never in extras, logs or metadata.
    redis_url: str | None = None

    def worker_env(self) -> dict[str, str]:
        """Environment variables the crawler process needs beyond the Pipes bootstrap."""
        return {"SCRAPE_ASSETS_REDIS_URL": self.redis_url} if self.redis_url else {}

    @abstractmethod
    def _run(self, context: AssetExecutionContext | OpExecutionContext,
             extras: dict[str, Any]) -> PipesClientCompletedInvocation:
        """Start the crawler with these extras and wait for it."""

    def launch(self, context: AssetExecutionContext | OpExecutionContext, extras: dict[str, Any]) -> dict[str, Any]:
        """Run the crawl and return its summary (plain JSON values)."""
        extras = {**extras, "progress_interval": self.progress_interval_seconds}
        invocation = self._run(context, extras)
        for message in invocation.get_custom_messages():
            if isinstance(message, dict) and "crawl_failure" in message:
                raise failure_from_message(message)
        for message in reversed(invocation.get_custom_messages()):
            if isinstance(message, dict) and "crawl_result" in message:
                return dict(message["crawl_result"])
        raise RuntimeError(f"the crawler ({extras['mode']}) exited without reporting a result or a failure")


class SubprocessCrawlLauncher(CrawlLauncher):
    """The crawler as a child process of the step, on this machine."""

    python_executable: str = sys.executable

    def _run(self, context: AssetExecutionContext | OpExecutionContext,
             extras: dict[str, Any]) -> PipesClientCompletedInvocation:
        client = PipesSubprocessClient()
        return client.run(
            context=context,
            command=[self.python_executable, "-m", CRAWLER_MODULE],
            extras=extras,
            env=self.worker_env(),
        )
