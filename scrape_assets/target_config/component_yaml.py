"""A target declared as a Dagster component: `<sites>/<name>/defs.yaml` holding

    type: scrape_assets.ScrapeTarget
    attributes:
      base_url: ...        # the same settings as a target YAML

The folder's name is the target's name. Errors name the defs.yaml and the field under `attributes`,
as they name a target YAML's file and field."""

from __future__ import annotations

from pathlib import Path

from scrape_assets.target_config.loader import TargetConfigError, read_yaml_mapping, target_from_mapping
from scrape_assets.target_config.models import TargetConfig

COMPONENT_TYPE = "scrape_assets.ScrapeTarget"
DEFS_FILE = "defs.yaml"


def target_from_attributes(attributes: dict, path: Path, require_secrets: bool = True) -> TargetConfig:
    """The target a component's attributes declare; `path` is its defs.yaml, whose folder names it."""
    return target_from_mapping(
        attributes, path, path.parent.name, require_secrets, field_prefix="attributes", named_by="folder"
    )


def load_target_component(path: Path, require_secrets: bool = True) -> TargetConfig:
    """The target a component's defs.yaml declares."""
    path = Path(path)
    raw = read_yaml_mapping(path)
    if raw.get("type") != COMPONENT_TYPE:
        raise TargetConfigError(path, "type", f"{raw.get('type')!r} is not {COMPONENT_TYPE!r}")
    attributes = raw.get("attributes")
    if not isinstance(attributes, dict):
        raise TargetConfigError(path, "attributes", "must hold the target's settings (a mapping)")
    return target_from_attributes(attributes, path, require_secrets)
