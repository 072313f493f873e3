"""Build the pandera schema and the typed Arrow schema of valid records from a target config."""

from __future__ import annotations

import pandera.pandas as pa
import pyarrow

from scrape_assets.target_config.models import FieldSpec, TargetConfig

PANDAS_DTYPES = {"string": "str", "int": "Int64", "float": "float64", "bool": "boolean", "date": "datetime64[ns]"}
ARROW_TYPES = {
    "string": pyarrow.string(),
    "int": pyarrow.int64(),
    "float": pyarrow.float64(),
    "bool": pyarrow.bool_(),
    "date": pyarrow.date32(),
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
    """The record schema of the single-valued fields: types coerced from text, required fields
    non-null, value checks, unique key. List fields are checked element by element (`element_schema`)."""
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
        if not spec.is_list
    }
    return pa.DataFrameSchema(columns, strict=False, name=f"{target.name}_record")


def element_schema(name: str, spec: FieldSpec) -> pa.SeriesSchema:
    """The schema every element of a list field must pass: its type, coerced, and its checks."""
    return pa.SeriesSchema(PANDAS_DTYPES[spec.type], checks=field_checks(spec), nullable=False, coerce=True, name=name)


def arrow_type(spec: FieldSpec) -> pyarrow.DataType:
    """The Arrow type a field is delivered as (a list of its type for list fields)."""
    return pyarrow.list_(ARROW_TYPES[spec.type]) if spec.is_list else ARROW_TYPES[spec.type]


def arrow_schema(target: TargetConfig, meta_columns: tuple[str, ...]) -> pyarrow.Schema:
    """Typed Arrow schema of valid records: the fields, then the string meta columns."""
    return pyarrow.schema(
        [(name, arrow_type(spec)) for name, spec in target.record.fields.items()]
        + [(name, pyarrow.string()) for name in meta_columns]
    )
