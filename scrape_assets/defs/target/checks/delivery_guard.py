"""The delivery guard: a day is delivered only if the evidence about the very data it delivers passed.

Dagster's blocking checks stop delivery inside the run that evaluated them; a later run that selects
only the delivered table would not see them. The guard reads the instance instead, so it holds across
runs, and it judges the day's latest `validated_records` materialization (the records delivered):
- every blocking check on it must have an evaluation that targets that materialization, and passed.
  An evaluation of an earlier materialization vouches for nothing: a failure between a materialization
  and its checks, or a later downstream-only run, can neither refuse a good day nor pass a bad one;
- the crawl its records came from must be complete (`crawl_complete`): the generation its
  parsed_records extracted was closed. An open generation (a shard that failed, a crawl that stopped)
  is a partial day. Records validated by a version that did not record their crawl fall back to the
  day's latest `crawl_complete` evaluation, and to none at all for days from before that check.

A run tagged `OVERRIDE_TAG=<reason>` delivers anyway, and the reason and the findings it overrode are
recorded on the delivered materialization.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from dagster import AssetCheckKey, DagsterInstance, EventLogRecord, Failure, MetadataValue

from scrape_assets.dagster_internals import AssetCheckExecutionRecord, check_evaluations_of_day, latest_check_evaluation
from scrape_assets.defs.tags import OVERRIDE_TAG
from scrape_assets.defs.target.asset_keys import TargetKeys
from scrape_assets.defs.target.checks.crawl_complete import (
    CRAWL_COMPLETE_KEY,
    CRAWL_GENERATION_KEY,
    CRAWL_STOPPED_BY_KEY,
    metadata_of,
)
from scrape_assets.defs.target.checks.history import latest_materialization
from scrape_assets.defs.target.checks.record_checks import CRAWL_COMPLETE

# completed evaluations of one check and day searched for the one that targets the delivered data
EVALUATIONS_SEARCHED = 50


@dataclass(frozen=True)
class GuardFinding:
    """A blocking check that does not vouch for the day's data: `problem` says why ("failed in run X")."""

    check: AssetCheckKey
    problem: str
    run_id: str | None = None

    def describe(self) -> str:
        return f"{self.check.asset_key.to_user_string()}:{self.check.name} {self.problem}"


class DeliveryBlocked(Failure):
    """Raised by the delivered asset when a blocking upstream check did not pass for the day: a Dagster
    `Failure`, so the run page shows what blocked the day and the two ways on as its description and
    metadata (no retry: only new data or an override changes the verdict)."""

    def __init__(self, day: str, findings: list[GuardFinding]):
        self.findings = findings
        reasons = "; ".join(finding.describe() for finding in findings)
        ways_on = (
            f"Fix the data and re-run the day (or its checks), or re-run with run tag {OVERRIDE_TAG}=<reason> to "
            "deliver anyway (recorded on the materialization)."
        )
        super().__init__(
            description=f"delivery of {day} refused: {reasons}. {ways_on}",
            metadata={
                "blocked_by": MetadataValue.text(", ".join(sorted({f.check.name for f in findings}))),
                "next_step": MetadataValue.text(ways_on),
            },
            allow_retries=False,
        )


def _evaluation_of(
    instance: DagsterInstance, check: AssetCheckKey, day: str, materialization: EventLogRecord
) -> AssetCheckExecutionRecord | None:
    """The newest completed evaluation of `check` for `day` that evaluated `materialization`."""
    for record in check_evaluations_of_day(instance, check, day, EVALUATIONS_SEARCHED):
        target = record.evaluation.target_materialization_data if record.evaluation else None
        if target is not None and target.storage_id == materialization.storage_id:
            return record
    return None


def _crawl_finding(instance: DagsterInstance, keys: TargetKeys, day: str, validated: EventLogRecord) -> list:
    check = AssetCheckKey(keys.raw_pages, CRAWL_COMPLETE)
    facts = metadata_of(validated)
    if CRAWL_COMPLETE_KEY in facts:
        if facts[CRAWL_COMPLETE_KEY]:
            return []
        return [
            GuardFinding(
                check,
                f"failed: the records validated in run {validated.run_id} come from a crawl that did not "
                f"complete (generation {facts.get(CRAWL_GENERATION_KEY, 'unknown')} was left open, stopped by "
                f"{facts.get(CRAWL_STOPPED_BY_KEY, 'a failed shard')}); re-run the day to resume its crawl",
                validated.run_id,
            )
        ]
    latest = latest_check_evaluation(instance, check, day)  # validated by a version that did not record it
    if latest is not None and (latest.evaluation is None or not latest.evaluation.passed):
        return [GuardFinding(check, f"failed in run {latest.run_id}", latest.run_id)]
    return []


def guard_findings(
    instance: DagsterInstance, keys: TargetKeys, checks: Iterable[AssetCheckKey], day: str
) -> list[GuardFinding]:
    """Why the day's latest validated records must not be delivered: the blocking `checks` on
    validated_records that did not pass on them (or never evaluated them), and an incomplete crawl."""
    validated = latest_materialization(instance, keys.validated_records, day)
    if validated is None:
        return [GuardFinding(check, "has no evaluation for this day") for check in checks]
    findings = []
    for check in checks:
        record = _evaluation_of(instance, check, day, validated)
        if record is None:
            findings.append(
                GuardFinding(
                    check, f"has no evaluation of the records validated in run {validated.run_id}", validated.run_id
                )
            )
        elif record.evaluation is None or not record.evaluation.passed:
            findings.append(GuardFinding(check, f"failed in run {record.run_id}", record.run_id))
    return findings + _crawl_finding(instance, keys, day, validated)
