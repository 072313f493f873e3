"""Validate parsed records in batches; write valid rows and quarantined rows (with reasons) to Parquet."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pandera.errors
import pandera.pandas
import pyarrow as pa
import pyarrow.parquet as pq

from scrape_assets.extraction.extract import ERRORS_COLUMN, META_COLUMNS
from scrape_assets.target_config.models import FieldSpec, TargetConfig
from scrape_assets.validation.schema import arrow_schema, build_schema, element_schema
from scrape_assets.validation.summary import ValidationSummary

BATCH_ROWS = 10_000
REASON_COLUMN = "quarantine_reason"


def _prepare(frame: pd.DataFrame, target: TargetConfig) -> pd.DataFrame:
    """Page text of `type: bool` fields read as Python booleans by the field's words; any other text
    is left as it is, so that the schema's coercion fails on it and names it."""
    for name, spec in target.record.fields.items():
        if spec.type == "bool" and not spec.is_list:
            frame[name] = _bool_texts(frame[name], spec)
    return frame


def _bool_texts(texts: pd.Series, spec: FieldSpec) -> pd.Series:
    words = spec.bool_words()
    return texts.map(lambda v: words.get(v.strip().lower(), v) if isinstance(v, str) else v)


def _list_column(frame: pd.DataFrame, name: str, spec: FieldSpec, reasons: dict[int, list[str]]) -> pd.Series:
    """Check every element of a list field with its element schema; failing rows get their reasons.
    Returns each row's typed list (an empty list where there were no elements)."""
    empty = frame[name].map(lambda v: v is None or len(v) == 0)
    if spec.required:
        for index in frame.index[empty]:
            reasons.setdefault(int(index), []).append(f"{name}: not_nullable (got [])")
    elements = frame[name].explode().dropna()
    if spec.type == "bool":
        elements = _bool_texts(elements, spec)
    schema = element_schema(name, spec)
    for _ in range(3):
        try:
            typed = schema.validate(elements, lazy=True)
            break
        except pandera.errors.SchemaErrors as error:
            failures = _row_failures(error)
            for index, found in failures.items():
                reasons.setdefault(index, []).extend(f"{reason.replace(': ', ': element ', 1)}" for reason in found)
            elements = elements.drop(index=list(failures))
    else:
        raise RuntimeError(f"validation of list field {name!r} did not converge")
    if spec.type == "date":
        typed = typed.dt.date
    grouped = typed.groupby(level=0).agg(list) if len(typed) else pd.Series(dtype=object)
    return pd.Series([grouped.get(index, []) for index in frame.index], index=frame.index, dtype=object)


def _row_failures(error: pandera.errors.SchemaErrors) -> dict[int, list[str]]:
    """Failing checks by row. A check that failed for the whole column (no row index) is only
    expected after a coercion failure in that column; it is re-run once those rows are removed."""
    by_row: dict[int, list[str]] = {}
    whole_column = []
    for row in error.failure_cases.itertuples(index=False):
        if row.index is None or pd.isna(row.index):
            whole_column.append(f"{row.column}: {row.check} ({row.failure_case})")
            continue
        case = row.failure_case.item() if isinstance(row.failure_case, np.generic) else row.failure_case
        case = None if isinstance(case, float) and np.isnan(case) else case
        by_row.setdefault(int(row.index), []).append(f"{row.column}: {row.check} (got {case!r})")
    if whole_column and not by_row:
        raise ValueError(f"schema checks failed without naming rows: {'; '.join(whole_column)}")
    return {index: _without_echoes(found) for index, found in by_row.items()}


def _without_echoes(reasons: list[str]) -> list[str]:
    """A value that could not be coerced also fails the column's dtype: name it once, as the coercion."""
    coerced = {reason.split(": ", 1)[0] for reason in reasons if ": coerce_dtype(" in reason}
    return [reason for reason in reasons if not (reason.split(": ", 1)[0] in coerced and ": dtype(" in reason)]


def _validate_rows(
    schema: pandera.pandas.DataFrameSchema, frame: pd.DataFrame, target: TargetConfig, reasons: dict[int, list[str]]
) -> pd.DataFrame:
    """Validate, removing failing rows (their reasons added to `reasons`) until the rest passes;
    returns the typed valid rows."""
    remaining = frame
    for _ in range(len(target.record.fields) + 2):
        try:
            return schema.validate(_prepare(remaining.copy(), target), lazy=True)
        except pandera.errors.SchemaErrors as error:
            failures = _row_failures(error)
            for index, found in failures.items():
                reasons.setdefault(index, []).extend(found)
            remaining = remaining.drop(index=list(failures))
    raise RuntimeError("validation did not converge: rows kept failing after every failing row was removed")


@dataclass(frozen=True)
class DuplicatePlan:
    """What the whole day says of each row's key, decided before any batch is validated (so the split
    does not depend on where batches begin): `collapsed` rows repeat an earlier row of the same key
    value for value (the same record seen on two pages) and are dropped, not quarantined; `conflicts`
    are rows whose key holds records that differ, each quarantined with the other rows' URLs."""

    collapsed: np.ndarray
    conflicts: dict[int, str]


def plan_duplicates(parsed_path: Path, target: TargetConfig) -> DuplicatePlan:
    """The day's duplicate keys. Rows with an extraction error or no key take no part: they are
    quarantined for that. Reads the parsed file in batches, keeping a digest per row, not the rows."""
    key, fields = target.record.key, list(target.record.fields)
    parts = []
    batches = pq.ParquetFile(parsed_path, pre_buffer=False).iter_batches(
        batch_size=BATCH_ROWS, columns=[*fields, ERRORS_COLUMN, "source_url"]
    )
    for batch in batches:
        frame = batch.to_pandas()
        parts.append(
            pd.DataFrame(
                {
                    "key": frame[key],
                    "url": frame["source_url"],
                    "digest": pd.util.hash_pandas_object(frame[fields].astype(str), index=False).to_numpy(),
                    "candidate": (frame[ERRORS_COLUMN].isna() & frame[key].notna()).to_numpy(),
                }
            )
        )
    rows = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=["key", "url", "digest", "candidate"])
    collapsed = np.zeros(len(rows), dtype=bool)
    conflicts: dict[int, str] = {}
    candidates = rows[rows["candidate"].astype(bool)]
    repeated = candidates[candidates.duplicated("key", keep=False)]
    for value, group in repeated.groupby("key", sort=False):
        if group["digest"].nunique() == 1:
            collapsed[group.index[1:]] = True
            continue
        for index in group.index:
            others = [url for url in group["url"][group.index != index]]
            also = ", ".join(others[:3]) + (f" and {len(others) - 3} more" if len(others) > 3 else "")
            conflicts[int(index)] = f"{key}: conflicting records under one key (got {value!r}; also on {also})"
    return DuplicatePlan(collapsed, conflicts)


def validate_records(
    target: TargetConfig, parsed_path: Path, valid_path: Path, quarantine_path: Path
) -> ValidationSummary:
    """Split `parsed_path` into `valid_path` (typed) and `quarantine_path` (text + reason), in batches
    of `BATCH_ROWS` rows, so that memory does not grow with the size of the day.

    Duplicate keys are decided on the whole day first (`plan_duplicates`): identical records collapse to
    their first row, conflicting ones are all quarantined; the split does not depend on where the
    batches begin.
    """
    schema = build_schema(target)
    valid_schema = arrow_schema(target, META_COLUMNS)
    quarantine_schema = pq.read_schema(parsed_path).append(pa.field(REASON_COLUMN, pa.string()))
    duplicates = plan_duplicates(parsed_path, target)
    batch_start = 0
    summary = ValidationSummary(pages=len(pq.read_table(parsed_path, columns=["source_url"]).column(0).unique()))
    outputs = {Path(valid_path): valid_schema, Path(quarantine_path): quarantine_schema}
    partials = {path: path.with_name(f".{path.name}.partial") for path in outputs}
    for path in outputs:
        path.parent.mkdir(parents=True, exist_ok=True)
    with (
        pq.ParquetWriter(partials[Path(valid_path)], valid_schema) as valid_out,
        pq.ParquetWriter(partials[Path(quarantine_path)], quarantine_schema) as quarantine_out,
    ):
        # pre_buffer=False: pre-buffered reads keep every row group's bytes until the file is closed
        for batch in pq.ParquetFile(parsed_path, pre_buffer=False).iter_batches(batch_size=BATCH_ROWS):
            frame = batch.to_pandas()
            summary.rows += len(frame)
            reasons: dict[int, list[str]] = {}
            for index in range(len(frame)):
                if batch_start + index in duplicates.conflicts:
                    reasons[index] = [duplicates.conflicts[batch_start + index]]
            copies = np.flatnonzero(duplicates.collapsed[batch_start : batch_start + len(frame)])
            batch_start += len(frame)
            summary.collapsed += len(copies)
            frame = frame.drop(index=copies)
            for name, spec in target.record.fields.items():
                held = frame[name].map(lambda v: v is not None and len(v) > 0) if spec.is_list else frame[name].notna()
                summary.raw_present[name] += int(held.sum())
            for label in frame.index[frame[ERRORS_COLUMN].notna()]:  # labels: collapsed rows left gaps
                reasons.setdefault(int(label), []).extend(frame.at[label, ERRORS_COLUMN].split("; "))
            lists = {
                name: _list_column(frame, name, spec, reasons)
                for name, spec in target.record.fields.items()
                if spec.is_list
            }
            unseen = frame.drop(index=list(reasons))
            typed = _validate_rows(schema, unseen, target, reasons)
            for name, typed_lists in lists.items():
                typed[name] = typed_lists.reindex(typed.index)
            bad = frame.loc[sorted(reasons)].copy()
            for name, spec in target.record.fields.items():
                present = typed[name].map(len) > 0 if spec.is_list else typed[name].notna()
                summary.present[name] += int(present.sum())
            if len(typed):
                valid_out.write_table(pa.Table.from_pandas(typed, schema=valid_schema, preserve_index=False))
            if len(bad):
                bad[REASON_COLUMN] = ["; ".join(reasons[i]) for i in bad.index]
                for reason_list in reasons.values():
                    for reason in reason_list:
                        summary.failures[reason.split(" (got", 1)[0]] += 1
                quarantine_out.write_table(pa.Table.from_pandas(bad, schema=quarantine_schema, preserve_index=False))
            summary.valid += len(typed)
            summary.quarantined += len(bad)
    for path, partial in partials.items():
        os.replace(partial, path)
    return summary
