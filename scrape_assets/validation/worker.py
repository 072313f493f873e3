"""A big day validated in a process of its own. The validation step's process holds Dagster and the
code location; pandas frames of a big day on top of that made it the largest process of a day (429 MiB
at 48,201 records). A spawned worker imports only what validation needs, so neither process grows to
the sum. A small day is validated in the caller's process: no interpreter to start."""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from scrape_assets.process_stats import peak_rss_mib
from scrape_assets.target_config.models import TargetConfig
from scrape_assets.validation.summary import ValidationSummary

# from this many parsed rows on, a day is validated in a worker (below it, the frames are small)
ROWS_FOR_A_WORKER = 20_000


@dataclass(frozen=True)
class DayValidation:
    """What the split found, and the worker's peak resident memory in MiB (None: no worker)."""

    summary: ValidationSummary
    worker_peak_rss_mib: float | None


def _validate(target: TargetConfig, parsed: Path, valid: Path, quarantined: Path) -> tuple[ValidationSummary, float]:
    # pandera costs 0.3 s to import: only a process that validates pays it
    from scrape_assets.validation.split import validate_records

    return validate_records(target, parsed, valid, quarantined), peak_rss_mib()


def validate_day(target: TargetConfig, parsed: Path, valid: Path, quarantined: Path) -> DayValidation:
    """`validate_records` of the day's parsed file, in a spawned worker from `ROWS_FOR_A_WORKER` rows.
    Its files and summary are the same wherever it runs."""
    import pyarrow.parquet as pq  # here: the code location imports this module and loads without pyarrow

    if pq.ParquetFile(parsed).metadata.num_rows < ROWS_FOR_A_WORKER:
        return DayValidation(_validate(target, parsed, valid, quarantined)[0], None)
    with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")) as pool:
        summary, rss = pool.submit(_validate, target, parsed, valid, quarantined).result()
    return DayValidation(summary, rss)
