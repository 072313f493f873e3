"""The delivery guard: a day is delivered only if the latest evaluation of every blocking check on
its upstream partition passed.

Dagster's blocking checks stop delivery inside the run that evaluated them; a later run that selects
only the delivered table would not see them. The guard reads the instance instead, so it holds across
runs. A run tagged `OVERRIDE_TAG=<reason>` delivers anyway, and the reason and the checks it
overrode are recorded on the delivered materialization.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from dagster import AssetCheckKey, DagsterInstance

from scrape_assets.dagster_internals import latest_check_evaluation
from scrape_assets.defs.tags import OVERRIDE_TAG


@dataclass(frozen=True)
class GuardFinding:
    """A blocking check whose latest evaluation for the day did not pass (run_id None: never evaluated)."""

    check: AssetCheckKey
    run_id: str | None

    def describe(self) -> str:
        name = f"{self.check.asset_key.to_user_string()}:{self.check.name}"
        if self.run_id is None:
            return f"{name} has no evaluation for this day"
        return f"{name} failed in run {self.run_id}"


class DeliveryBlocked(Exception):
    """Raised by the delivered asset when a blocking upstream check did not pass for the day."""

    def __init__(self, day: str, findings: list[GuardFinding]):
        self.findings = findings
        reasons = "; ".join(finding.describe() for finding in findings)
        super().__init__(
            f"delivery of {day} refused: {reasons}. Fix the data and re-run the checks, or re-run with "
            f"run tag {OVERRIDE_TAG}=<reason> to deliver anyway (recorded on the materialization)."
        )


def failed_blocking_checks(
    instance: DagsterInstance, checks: Iterable[AssetCheckKey], day: str, unevaluated_ok: Iterable[AssetCheckKey] = ()
) -> list[GuardFinding]:
    """The checks whose latest completed evaluation for `day` did not pass, or that have none (except
    those in `unevaluated_ok`: checks that days from before they existed never got)."""
    tolerated = set(unevaluated_ok)
    findings = []
    for check in checks:
        latest = latest_check_evaluation(instance, check, day)
        if latest is None:
            if check not in tolerated:
                findings.append(GuardFinding(check, None))
            continue
        if latest.evaluation is None or not latest.evaluation.passed:
            findings.append(GuardFinding(check, latest.run_id))
    return findings
