"""The code location: one asset graph per target YAML, plus the resources of this environment."""

from dagster import Definitions

from scrape_assets.defs.environment import crawler_shares_this_environment, resources_from_environment, targets_dir
from scrape_assets.defs.executor import step_executor
from scrape_assets.defs.operations.factory import operations_definitions
from scrape_assets.defs.target.factory import target_definitions
from scrape_assets.defs.target.step_placement import step_placement_rule
from scrape_assets.target_config import load_targets


def build_definitions() -> Definitions:
    """Assemble the code location from the targets folder and the environment's resources."""
    targets = load_targets(targets_dir(), require_secrets=crawler_shares_this_environment())
    return Definitions.merge(
        *(target_definitions(target) for target in targets),
        operations_definitions(targets),
        Definitions(resources=resources_from_environment(), executor=step_executor(step_placement_rule(targets))),
    )


defs = build_definitions()
