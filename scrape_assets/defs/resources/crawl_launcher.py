"""Launch the crawler (`python -m scrape_assets.crawler`) through Dagster Pipes and watch it.

`CrawlLauncher` is the interface the assets use; `SubprocessCrawlLauncher` runs the crawler as a
child process of the step (the embedded default). The orchestrator never fetches a page itself.
"""

from __future__ import annotations

import os
import subprocess
import sys
import warnings
from abc import abstractmethod
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

from dagster import (
    AssetExecutionContext,
    ConfigurableResource,
    DagsterExecutionInterruptedError,
    OpExecutionContext,
    PipesClientCompletedInvocation,
    PipesTempFileContextInjector,
    PipesTempFileMessageReader,
    PreviewWarning,
    open_pipes_session,
)

from scrape_assets.crawler.failures import failure_from_message
from scrape_assets.crawler.lifeline import PARENT_PID_VARIABLE
from scrape_assets.crawler.settings import DEFAULT_PROGRESS_INTERVAL_SECONDS
from scrape_assets.defs.executor import step_in_run_process
from scrape_assets.defs.resources.crawler_environment import crawler_environment

CRAWLER_MODULE = "scrape_assets.crawler"


class CrawlLauncher(ConfigurableResource):
    """Runs one crawl job described by Pipes `extras` and returns its reported metadata.

    Raises the crawler's named failure (`TargetUnreachable`, `FrontierIncomplete`, ...) when it
    reports one.
    """

    progress_interval_seconds: float = DEFAULT_PROGRESS_INTERVAL_SECONDS
    # Shares the target's rate limit with every crawler process; set from EnvVar("REDIS_URL") and
    # passed to the worker as an environment variable, never in extras, logs or metadata.
    redis_url: str | None = None

    def worker_env(self) -> dict[str, str]:
        """Environment variables the crawler process needs beyond the Pipes bootstrap."""
        return {"SCRAPE_ASSETS_REDIS_URL": self.redis_url} if self.redis_url else {}

    @abstractmethod
    def parallel_crawlers(self) -> int:
        """How many crawlers this launcher runs at once: a target's shard count when its YAML sets
        no `sharding.max_shards`."""

    @abstractmethod
    def _run(
        self, context: AssetExecutionContext | OpExecutionContext, extras: dict[str, Any]
    ) -> PipesClientCompletedInvocation:
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


@contextmanager
def pipes_session_warnings_silenced() -> Iterator[None]:
    """Opening a Pipes session, Dagster 1.13 warns about its own internals (a preview method it calls,
    the deprecated `context.run_id` it reads): nothing a caller can change, so silenced here only."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*expected_writer_count.*", category=PreviewWarning)
        warnings.filterwarnings(
            "ignore", message="AssetExecutionContext.run_id is deprecated", category=DeprecationWarning
        )
        yield


class CrawlerExited(RuntimeError):
    """The crawler process failed without reporting a named crawl failure (a bug, or it was killed)."""


class RunWorkerGone(Exception):
    """The process that runs this step's run died while the crawler ran: the crawler was stopped."""


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def _parent_of(pid: int) -> int | None:
    """`pid`'s parent from /proc (None if it is gone or /proc is missing)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return int(stat.rsplit(")", 1)[1].split()[1])  # after "pid (comm)": state, then ppid


class RunWorkerWatch:
    """Whether the run's process is still there, seen from a step's process. That is the step's
    parent; or, for steps forked from a forkserver (defs/executor.py), the forkserver's parent: the
    forkserver itself outlives the run for as long as one of its steps runs. A step executed in the
    run's own process (the in-process executor) is the run's process: it is there while it asks."""

    def __init__(self) -> None:
        self.in_run_process = step_in_run_process()
        self.parent = os.getppid()
        self.via_forkserver = b"multiprocessing.forkserver" in _cmdline(self.parent)
        self.pid = (_parent_of(self.parent) or self.parent) if self.via_forkserver else self.parent

    def gone(self) -> bool:
        if self.in_run_process:
            return False
        if os.getppid() != self.parent:
            return True
        return self.via_forkserver and _parent_of(self.parent) != self.pid


class SubprocessCrawlLauncher(CrawlLauncher):
    """The crawler as a child process of the step, on this machine, with an allow-listed environment
    (`crawler_environment.py`: none of the orchestrator's secrets). It never outlives its run: the
    crawler gets SIGTERM when the step's process dies (`crawler/lifeline.py`), and the step stops the
    crawler when the run's process dies (its parent changes), so a killed run leaves no crawl behind.
    SIGTERM stops Scrapy gracefully: requests in flight finish and are stored, so the next run of the
    day resumes without fetching a page twice."""

    python_executable: str = sys.executable
    stop_grace_seconds: float = 60.0
    # names of further environment variables the crawler may see (`crawler_environment.py`): never values
    pass_env: list[str] = []

    def parallel_crawlers(self) -> int:
        """The cores this process may run on (a Scrapy crawler keeps about one busy)."""
        return len(os.sched_getaffinity(0))

    def _run(
        self, context: AssetExecutionContext | OpExecutionContext, extras: dict[str, Any]
    ) -> PipesClientCompletedInvocation:
        with ExitStack() as stack:
            with pipes_session_warnings_silenced():
                session = stack.enter_context(
                    open_pipes_session(
                        context=context,
                        context_injector=PipesTempFileContextInjector(),
                        message_reader=PipesTempFileMessageReader(),
                        extras=extras,
                    )
                )
            run_worker = RunWorkerWatch()
            process = subprocess.Popen(
                [self.python_executable, "-m", CRAWLER_MODULE],
                env={
                    **crawler_environment(os.environ, extras, self.pass_env),
                    **self.worker_env(),
                    **session.get_bootstrap_env_vars(),
                    PARENT_PID_VARIABLE: str(os.getpid()),
                },
            )
            try:
                while True:
                    try:
                        process.wait(timeout=1.0)
                        break
                    except subprocess.TimeoutExpired:
                        if run_worker.gone():
                            self._stop(process)
                            raise RunWorkerGone(
                                f"the run's process (pid {run_worker.pid}) died while this step crawled; the crawler "
                                f"(pid {process.pid}) was stopped and its pages kept for the next run of the day"
                            ) from None
            except DagsterExecutionInterruptedError:  # the run was terminated
                context.log.info("run terminated: stopping the crawler (SIGTERM), its pages are kept")
                self._stop(process)
                raise
            if process.returncode != 0:
                raise CrawlerExited(
                    f"the crawler (pid {process.pid}) exited with code {process.returncode}; "
                    "its output is in the step's log"
                )
        return PipesClientCompletedInvocation(session)

    def _stop(self, process: subprocess.Popen) -> None:
        """SIGTERM (Scrapy's graceful stop), then SIGKILL if it has not exited within the grace."""
        process.terminate()
        try:
            process.wait(timeout=self.stop_grace_seconds)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
