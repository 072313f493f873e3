"""The code location: one asset graph per target YAML, plus the resources of this environment.

`defs` is built on demand (`defs/location.py`): whole where Dagster needs the whole graph, one
target's own where a run or step rebuilds a job of one target."""

from dagster import Definitions

from scrape_assets.defs.environment import (
    crawler_shares_this_environment,
    instance_of_this_process,
    resources_from_environment,
    sites_dir,
    targets_dir,
    validating_definitions,
)
from scrape_assets.defs.location import TargetsLocation
from scrape_assets.target_config import TargetFolder


def targets_location() -> TargetsLocation:
    """The targets of this environment (its targets folder and its component folders), with the
    resources of this environment."""
    folder = TargetFolder(targets_dir(), require_secrets=crawler_shares_this_environment(), sites=sites_dir())
    return TargetsLocation(folder, resources_from_environment, instance_of_this_process, validating_definitions())


def build_definitions() -> Definitions:
    """Every target's definitions at once (what the code server sees)."""
    return targets_location().whole


defs = targets_location().repository()
