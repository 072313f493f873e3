"""Figure 4's backend comparison: the same pandera schema, built from the target's YAML, run on the
same records by pandera's pandas backend (what the pipeline uses) and by its polars backend.

The polars schema lives here, not in the package: the pipeline validates with pandas, and this is
the measurement that says what moving to polars would buy.
"""

from __future__ import annotations

from pathlib import Path

import pandera.polars
import polars as pl
import pyarrow.parquet as pq

from scrape_assets.target_config.models import TargetConfig
from scrape_assets.validation.schema import build_schema, field_checks

POLARS_TYPES = {"string": pl.Utf8, "int": pl.Int64, "float": pl.Float64, "bool": pl.Boolean, "date": pl.Date}


def build_polars_schema(target: TargetConfig) -> pandera.polars.DataFrameSchema:
    """The record schema of `validation.schema.build_schema`, for pandera's polars backend."""
    columns = {
        name: pandera.polars.Column(
            POLARS_TYPES[spec.type],
            checks=field_checks(spec),
            nullable=not spec.required,
            coerce=True,
            unique=name == target.record.key,
        )
        for name, spec in target.record.fields.items()
    }
    return pandera.polars.DataFrameSchema(columns, strict=False, name=f"{target.name}_record")


def validate_pandas(target: TargetConfig, parsed: Path) -> int:
    """Read the file into pandas and validate every row (lazy: every failure collected); rows checked."""
    frame = pq.read_table(parsed).to_pandas()
    build_schema(target).validate(frame, lazy=True)
    return len(frame)


def validate_polars(target: TargetConfig, parsed: Path) -> int:
    """The same with polars."""
    frame = pl.read_parquet(parsed)
    build_polars_schema(target).validate(frame, lazy=True)
    return frame.height
