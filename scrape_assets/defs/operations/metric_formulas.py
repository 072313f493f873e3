"""The pipeline figures as pure formulas (no Dagster), over facts `run_history.py` reads from the
Dagster instance.

- success rate = successful runs / (total runs - runs failed by a target outage); a run failed by our
  own infrastructure (Redis, the page store, the warehouse) counts against it, as any failure of ours
- critical-path latency = run queue time + the longest dependent chain of steps, each link counting
  its execution time and its wait after the last upstream step ended
- retry overhead = total step tries / unique steps - 1; and at crawl level, request retries / requests
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class StepFacts:
    """One step of one run: when it started and ended (epoch seconds) and how many tries it took."""

    start: float
    end: float
    attempts: int


@dataclass(frozen=True)
class RunFacts:
    """What the metrics need to know about one finished run."""

    run_id: str
    target: str
    status: str  # Dagster's run status name: SUCCESS, FAILURE, CANCELED
    outage: bool  # failed because the target was down (see crawler.outcome.TARGET_OUTAGES)
    created: float
    started: float | None
    steps: dict[str, StepFacts] = field(default_factory=dict)
    upstream: dict[str, frozenset[str]] = field(default_factory=dict)  # step -> steps it waits for
    requests: int = 0
    request_retries: int = 0
    our_side: bool = False  # failed because our own infrastructure did (crawler.outcome.OurSideFailure)


@dataclass(frozen=True)
class CriticalPath:
    """The longest dependent chain of a run and what it cost."""

    seconds: float
    queue_seconds: float
    execution_seconds: float
    wait_seconds: float
    steps: tuple[str, ...]


def success_rate(runs: Sequence[RunFacts]) -> float | None:
    """Successful runs over the runs that could have succeeded (target outages left out); None if none."""
    counted = [run for run in runs if not run.outage]
    if not counted:
        return None
    return sum(run.status == "SUCCESS" for run in counted) / len(counted)


def critical_path(run: RunFacts) -> CriticalPath | None:
    """Queue time plus the costliest chain of executed steps (None for a run that never started)."""
    if run.started is None or not run.steps:
        return None
    best: dict[str, tuple[float, float, float, tuple[str, ...]]] = {}  # step -> (total, exec, wait, chain)

    def cost(step: str) -> tuple[float, float, float, tuple[str, ...]]:
        if step not in best:
            facts = run.steps[step]
            ran = [cost(up) for up in run.upstream.get(step, ()) if up in run.steps]
            ready = max(
                (run.steps[up].end for up in run.upstream.get(step, ()) if up in run.steps),
                default=facts.start if run.started is None else run.started,
            )
            before = max(ran, key=lambda c: c[0], default=(0.0, 0.0, 0.0, ()))
            execution, wait = facts.end - facts.start, max(0.0, facts.start - ready)
            best[step] = (before[0] + execution + wait, before[1] + execution, before[2] + wait, (*before[3], step))
        return best[step]

    total, execution, wait, chain = max((cost(step) for step in run.steps), key=lambda c: c[0])
    queue = max(0.0, run.started - run.created)
    return CriticalPath(
        seconds=queue + total, queue_seconds=queue, execution_seconds=execution, wait_seconds=wait, steps=chain
    )


def retry_overhead(runs: Sequence[RunFacts]) -> float | None:
    """Tries of every step in every run over the distinct steps that ran, minus one: 0.0 means every
    step succeeded at its first try in one run; re-executions count as tries of the same step."""
    unique = {step for run in runs for step in run.steps}
    if not unique:
        return None
    return sum(facts.attempts for run in runs for facts in run.steps.values()) / len(unique) - 1


def request_retry_share(runs: Sequence[RunFacts]) -> float | None:
    """Crawl-level request retries over requests made (None when no run crawled)."""
    requests = sum(run.requests for run in runs)
    return sum(run.request_retries for run in runs) / requests if requests else None
