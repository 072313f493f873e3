"""What Dagster's catalog shows of a target's assets, from its YAML: the group and the tags (the
target's, and the YAML's `tags`), the YAML's `owners`, a code reference to the file that declares
the target, the column schema (`dagster/column_schema`) of the records and of the delivered table,
and the delivered table's name in the warehouse (`dagster/table_name`). Each asset builder takes its
arguments from here, so every asset of a target says the same."""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dagster import (
    AssetKey,
    CodeReferencesMetadataValue,
    LocalFileCodeReference,
    TableColumn,
    TableColumnConstraints,
    TableSchema,
)

from scrape_assets.defs.tags import target_tags
from scrape_assets.defs.target.asset_keys import TargetKeys
from scrape_assets.target_config.models import TargetConfig

COLUMN_SCHEMA = "dagster/column_schema"
TABLE_NAME = "dagster/table_name"
CODE_REFERENCES = "dagster/code_references"
# the columns every record file has beside the fields (extraction's META_COLUMNS), described once
PAGE_COLUMNS = {
    "source_url": "The URL of the page the record was read from.",
    "page_ref": "Where the page is kept in the page store (WARC segment and offset).",
    "fetched_at": "When the page was fetched (ISO 8601, UTC).",
}
ERRORS_COLUMN = ("extraction_errors", "Why a field could not be read or processed, per field (JSON).")
REASON_COLUMN = ("quarantine_reason", "Why the record failed validation: field, check and value.")


def _field_text(target: TargetConfig, name: str) -> str:
    spec = target.record.fields[name]
    key = " The record key." if name == target.record.key else ""
    return (spec.description or f"{name}, as the target's `record.fields.{name}` reads it.") + key


def _code_reference(source: Path) -> CodeReferencesMetadataValue:
    """A link from the asset to the file that declares its target. Dagster 1.13 calls code references a
    beta; that warning, and only it, is silenced here rather than for every caller."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Class `(LocalFileCodeReference|CodeReferencesMetadataValue)`")
        return CodeReferencesMetadataValue(
            code_references=[LocalFileCodeReference(file_path=str(source.resolve()), line_number=1)]
        )


@dataclass(frozen=True)
class TargetCatalog:
    """The catalog entries of one target's assets. `source` is the YAML that declares it; `table_name`
    and `delivered_types` are the warehouse's name of the delivered table and its column types."""

    target: TargetConfig
    keys: TargetKeys
    source: Path | None = None
    table_name: str | None = None
    delivered_types: Mapping[str, str] = field(default_factory=dict)

    def _columns(self, types: Mapping[str, str], extra: tuple[tuple[str, str], ...] = ()) -> TableSchema:
        fields = self.target.record.fields
        columns = [
            TableColumn(
                name,
                kind,
                description=_field_text(self.target, name) if name in fields else PAGE_COLUMNS.get(name, ""),
                constraints=TableColumnConstraints(nullable=not (name in fields and fields[name].required)),
            )
            for name, kind in types.items()
        ]
        columns += [TableColumn(name, "string", description=text) for name, text in extra]
        return TableSchema(columns=columns)

    def _schema_of(self, key: AssetKey) -> TableSchema | None:
        fields = self.target.record.fields
        as_text = {**dict.fromkeys(fields, "string"), **dict.fromkeys(PAGE_COLUMNS, "string")}
        if key == self.keys.parsed_records:
            return self._columns(as_text, (ERRORS_COLUMN,))
        if key == self.keys.quarantined_records:
            return self._columns(as_text, (ERRORS_COLUMN, REASON_COLUMN))
        if key == self.keys.validated_records:
            typed = {name: spec.type + ("[]" if spec.is_list else "") for name, spec in fields.items()}
            return self._columns({**typed, **dict.fromkeys(PAGE_COLUMNS, "string")})
        if key == self.keys.delivered and self.delivered_types:
            return self._columns(self.delivered_types)
        return None

    def of(self, key: AssetKey) -> dict[str, Any]:
        """The arguments of `@asset`, `@graph_asset` or `AssetSpec` that put the asset `key` in the catalog."""
        metadata: dict[str, Any] = {}
        schema = self._schema_of(key)
        if schema is not None:
            metadata[COLUMN_SCHEMA] = schema
        if key == self.keys.delivered and self.table_name:
            metadata[TABLE_NAME] = self.table_name
        if self.source is not None:
            metadata[CODE_REFERENCES] = _code_reference(self.source)
        return {
            "group_name": self.target.name,
            "tags": {**self.target.tags, **target_tags(self.target.name)},
            "owners": list(self.target.owners),
            "metadata": metadata,
        }
