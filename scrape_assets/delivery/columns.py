"""The delivered table's columns, whatever the warehouse: names and SQL types from the target's
fields, the day column, the source URL; and how each type is named in Snowflake. Imports nothing
heavy: the code location reads it to show the table's column schema in the catalog."""

from __future__ import annotations

from scrape_assets.target_config.models import TargetConfig

SQL_TYPES = {"string": "VARCHAR", "int": "BIGINT", "float": "DOUBLE", "bool": "BOOLEAN", "date": "DATE"}
PARTITION_COLUMN = "partition_date"
SNOWFLAKE_TYPES = {
    "VARCHAR": "VARCHAR",
    "BIGINT": "NUMBER(38,0)",
    "DOUBLE": "FLOAT",
    "BOOLEAN": "BOOLEAN",
    "DATE": "DATE",
}


def delivered_columns(target: TargetConfig) -> dict[str, str]:
    """Column name -> SQL type of the delivered table, in order (`TYPE[]`, a LIST, for list fields)."""
    columns = {
        name: SQL_TYPES[spec.type] + ("[]" if spec.is_list else "") for name, spec in target.record.fields.items()
    }
    columns[PARTITION_COLUMN] = "DATE"
    columns["source_url"] = "VARCHAR"
    return columns


def snowflake_type(sql_type: str) -> str:
    """The Snowflake type of a delivered column (a list field, `TYPE[]` in DuckDB, is an ARRAY)."""
    return "ARRAY" if sql_type.endswith("[]") else SNOWFLAKE_TYPES[sql_type]
