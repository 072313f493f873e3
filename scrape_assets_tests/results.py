"""Reading what a Dagster run did: materialization metadata and the named cause of a step failure."""

from __future__ import annotations


def materialization_metadata(result, name: str) -> dict:
    """Plain values of the metadata of the asset whose key ends with `name` (or is `name`)."""
    for event in result.get_asset_materialization_events():
        materialization = event.event_specific_data.materialization
        key = materialization.asset_key
        if name in (key.path[-1], key.to_user_string()):
            return {k: getattr(v, "value", v) for k, v in materialization.metadata.items()}
    raise AssertionError(f"{name} was not materialized")


def failure_cause(result):
    """(step key, the user error behind Dagster's wrapper) of the run's first step failure."""
    failure = result.get_step_failure_events()[0]
    error = failure.step_failure_data.error
    return failure.step_key, (error.cause or error)
