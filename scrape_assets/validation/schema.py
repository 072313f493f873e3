"""Build the pandera schema and the typed Arrow schema of valid records from a target config."""

from __future__ import annotations

import pandera.pandas as pa
import pyarrow

from scrape_assets.target_config.models import FieldSpec, TargetConfig

PANDAS_DTYPES = {"string": "str", "int": "Int64", "float": "float64", "bool": "boolean", "date": "datetime64[ns]"}
ARROW_TYPES = {
    "string": pyarrow.string(), "int": pyarrow.int64(), "float": pyarrow.float64(),
    "bool": pyarrow.bool_(), "date": pyarrow.date32(),
}


def field_checks(spec: FieldSpec) -> list[pa.Check]:
    """The value checks of a field (pandera's built-in checks, which every pandera backend runs)."""
    rules = spec.checks
    checks = []
    for name, value in (("gt", rules.gt), ("ge", rules.ge), ("lt", rules.lt), ("le", rules.le)):
        if value is not None:
            checks.append(getattr(pa.Check, name)(value))
    if rules.isin is not None:
        checks.append(pa.Check.isin(rules.isin))
    if rules.regex is not None:
        checks.append(pa.Check.str_matches(rules.regex))
    if rules.min_length is not None:
        checks.append(pa.Check.str_length(min_value=rules.min_length))
    return checks


def build_schema(target: TargetConfig) -> pa.DataFrameSchema:
    """The record schema: types coerced from text, required fields non-null, value checks, unique key."""
    columns = {
        name: pa.Column(
            PANDAS_DTYPES[spec.type],
            checks=field_checks(spec),
            nullable=not spec.required,
            coerce=True,
            unique=name == target.record.key,
            report_duplicates="exclude_first",
        )
        for name, spec in target.record.fields.items()
    }
    return pa.DataFrameSchema(columns, strict=False, name=f"{target.name}_record")


def arrow_schema(target: TargetConfig, meta_columns: tuple[str, ...]) -> pyarrow.Schema:
    """Typed Arrow schema of valid records: the fields, then the string meta columns."""
    return pyarrow.schema(
        [(name, ARROW_TYPES[spec.type]) for name, spec in target.record.fields.items()]
        + [(name, pyarrow.string()) for name in meta_columns]
    )
