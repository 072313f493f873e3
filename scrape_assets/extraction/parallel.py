"""Extraction on every core: a day's stored pages, in the order one reader meets them (segment, then
offset), cut into contiguous chunks; each chunk is extracted by a worker process into a Parquet file of
its own, and the files are joined in chunk order. The records, their order and the summary are those
of one `extract_records` over all the pages; a small day stays in this process (no worker to start)."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pyarrow.parquet as pq

from scrape_assets.extraction.extract import (
    EXAMPLES,
    ExtractionSummary,
    extract_records,
    raise_for_missing_selectors,
    record_schema,
)
from scrape_assets.page_store import IndexEntry, PageStore, iter_pages, latest_entries, page_store_from_spec
from scrape_assets.process_stats import peak_rss_mib
from scrape_assets.target_config.models import TargetConfig

# below this many pages per worker, starting a worker (an interpreter, the imports) costs more than it saves
PAGES_PER_WORKER = 2000


def extraction_workers(pages: int, cores: int) -> int:
    """Workers for `pages` on `cores`: one per core, each with at least PAGES_PER_WORKER pages."""
    return max(1, min(cores, pages // PAGES_PER_WORKER))


def _chunks(entries: Sequence[tuple[str, IndexEntry]], count: int) -> list[list[tuple[str, IndexEntry]]]:
    size, extra = divmod(len(entries), count)
    chunks, start = [], 0
    for index in range(count):
        end = start + size + (index < extra)
        chunks.append(list(entries[start:end]))
        start = end
    return chunks


def _extract_chunk(
    target: TargetConfig, store_spec: dict, prefix: str, chunk: list[tuple[str, IndexEntry]], out: str
) -> tuple[ExtractionSummary, float]:
    """One worker's share, written to `out` (the day-level checks are the caller's), and the worker's
    peak resident memory in MiB."""
    store = page_store_from_spec(store_spec)
    summary = extract_records(target, iter_pages(store, prefix, chunk), Path(out), check=False)
    return summary, peak_rss_mib()


def merge_summaries(summaries: Sequence[ExtractionSummary]) -> ExtractionSummary:
    """The summary of all chunks, as one pass over their pages in chunk order would have made it."""
    merged = ExtractionSummary()
    for summary in summaries:
        merged.pages_read += summary.pages_read
        merged.records += summary.records
        merged.record_pages += summary.record_pages
        merged.processing_failures += summary.processing_failures
        merged.charset_fallbacks += summary.charset_fallbacks
        merged.skipped.update(summary.skipped)
        merged.missing.update(summary.missing)
        for name, urls in summary.missing_examples.items():
            kept = merged.missing_examples.setdefault(name, [])
            kept.extend(urls[: EXAMPLES - len(kept)])
    return merged


def _join(target: TargetConfig, parts: list[Path], out_path: Path) -> None:
    """Concatenate the chunks' files into `out_path`, one row group in memory at a time."""
    partial = out_path.with_name(f".{out_path.name}.partial")
    with pq.ParquetWriter(partial, record_schema(target)) as writer:
        for part in parts:
            parquet = pq.ParquetFile(part)
            for group in range(parquet.num_row_groups):
                writer.write_table(parquet.read_row_group(group))
    os.replace(partial, out_path)


@dataclass(frozen=True)
class DayExtraction:
    """What `extract_day` did: the summary, the processes it used, the largest worker's peak memory."""

    summary: ExtractionSummary
    processes: int
    worker_peak_rss_mib: float = 0.0


def extract_day(
    target: TargetConfig,
    store: PageStore,
    prefix: str,
    segments: list[str],
    out_path: Path,
    workers: int | None = None,
) -> DayExtraction:
    """Extract the latest stored page of every URL in `segments` into `out_path`, with `workers`
    processes or one per core the pages justify.

    Raises what `extract_records` raises (`SelectorNotFound`, `NoRecordPages`), judged on the whole day.
    """
    entries = sorted(latest_entries(store, prefix, segments).values(), key=lambda item: (item[0], item[1].offset))
    count = workers or extraction_workers(len(entries), len(os.sched_getaffinity(0)))
    if count <= 1:
        return DayExtraction(extract_records(target, iter_pages(store, prefix, entries), out_path), 1)
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    parts = [out_path.with_name(f".{out_path.name}.part{index}") for index in range(count)]
    try:
        # spawn: the step's process has Dagster's threads running, which fork would copy mid-flight
        with ProcessPoolExecutor(count, mp_context=multiprocessing.get_context("spawn")) as pool:
            futures = [
                pool.submit(_extract_chunk, target, store.spec(), prefix, chunk, str(part))
                for chunk, part in zip(_chunks(entries, count), parts, strict=True)
            ]
            results = [future.result() for future in futures]
        summary = merge_summaries([chunk_summary for chunk_summary, _ in results])
        raise_for_missing_selectors(target, summary)
        _join(target, parts, out_path)
    finally:
        for part in parts:
            part.unlink(missing_ok=True)
    return DayExtraction(summary, count, max(peak for _, peak in results))
