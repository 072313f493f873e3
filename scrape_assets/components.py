"""`scrape_assets.ScrapeTarget`: a target declared as a Dagster component.

`dg scaffold defs scrape_assets.ScrapeTarget NAME` writes `scrape_assets/sites/NAME/defs.yaml`: the
bundled demo target's settings, with their comments, under `attributes:` (README "Adding a target"
says what each does). The attributes are a target YAML's settings, checked by the same model
(`TargetConfig`), so `dg check defs` and `dagster definitions validate` name the file and the field
as a target YAML's errors do; the component's JSON Schema (`target_schema`, published as
`scrape_assets/sites/target.schema.json`) lets editors check a defs.yaml as it is typed.

This code location reads the component folders itself, beside the targets folder (`TargetFolder`),
so that a run of one site builds that site alone (`defs/location.py`). `ScrapeTarget.build_defs`
serves a project that loads the component with Dagster's own loader: the target's definitions with
the resources and executor of this environment."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from dagster import Component, ComponentLoadContext, Definitions, Scaffolder, ScaffoldRequest, scaffold_with
from pydantic import BaseModel, Field

from scrape_assets.defs.environment import crawler_shares_this_environment, resources_from_environment
from scrape_assets.defs.location import definitions_of
from scrape_assets.target_config import TargetConfig
from scrape_assets.target_config.component_yaml import COMPONENT_TYPE, DEFS_FILE, target_from_attributes
from scrape_assets.target_config.loader import DEFAULT_TARGETS_DIR
from scrape_assets.target_config.models import NAME_PATTERN

TEMPLATE_TARGET = DEFAULT_TARGETS_DIR / "demo_shop.yaml"  # the scaffold's settings, comments kept
SCHEMA_FILE = Path(__file__).resolve().parent / "sites" / "target.schema.json"


class ScrapeTargetAttributes(TargetConfig):
    """A target YAML's settings; the name is the component folder's unless given (and then the same)."""

    name: str | None = Field(default=None, pattern=NAME_PATTERN)  # type: ignore[assignment]


def target_schema() -> dict[str, Any]:
    """The JSON Schema of a ScrapeTarget's attributes (a target YAML's settings)."""
    return ScrapeTargetAttributes.model_json_schema()


def defs_yaml_text() -> str:
    """A working defs.yaml: the demo target's settings, comments kept, under `attributes:`."""
    settings = TEMPLATE_TARGET.read_text(encoding="utf-8").splitlines()
    body = "\n".join(f"  {line}" if line.strip() else "" for line in settings)
    return (
        '# A site scraped every day (scrape_assets.ScrapeTarget): README "Adding a target" says what each\n'
        "# setting does. The folder's name is the target's name. Check it with `dg check defs`.\n"
        "# yaml-language-server: $schema=../target.schema.json\n"
        f"type: {COMPONENT_TYPE}\n"
        "attributes:\n"
        f"{body}\n"
    )


class ScrapeTargetScaffolder(Scaffolder[BaseModel]):
    """Writes a working defs.yaml into the new site's folder."""

    def scaffold(self, request: ScaffoldRequest[BaseModel]) -> None:
        request.target_path.mkdir(parents=True, exist_ok=True)
        (request.target_path / DEFS_FILE).write_text(defs_yaml_text(), encoding="utf-8")


@scaffold_with(ScrapeTargetScaffolder)
class ScrapeTarget(Component):
    """A site scraped every day: url_frontier -> raw_pages -> parsed_records -> validated_records ->
    delivered table, partitioned by day, with its checks, job and schedule."""

    def __init__(self, target: TargetConfig):
        self.target = target

    @classmethod
    def get_model_cls(cls) -> type[BaseModel]:
        return ScrapeTargetAttributes

    @classmethod
    def load(cls, attributes: BaseModel | None, context: ComponentLoadContext) -> ScrapeTarget:
        settings = attributes.model_dump(exclude_unset=True) if attributes is not None else {}
        return cls(target_from_attributes(settings, context.path / DEFS_FILE, crawler_shares_this_environment()))

    def build_defs(self, context: ComponentLoadContext) -> Definitions:
        return definitions_of(self.target, resources_from_environment(), context.path / DEFS_FILE)


def write_schema(path: Path = SCHEMA_FILE) -> None:
    """Write the published JSON Schema (`python -c "from scrape_assets.components import write_schema;
    write_schema()"` after a change to the target model; a test keeps it current)."""
    path.write_text(json.dumps(target_schema(), indent=2, sort_keys=True) + "\n", encoding="utf-8")
