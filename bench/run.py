"""Benchmarks: figures and ratios measured side by side in one run. `python bench/run.py [--quick]`.

Prints one line per figure with its anchor and the ratio, medians of `--repeat` runs. No assertions:
the README's Performance section quotes these lines. Figures:
  extraction  stored WARC pages -> records (our code) vs a bare parsel loop over the same bodies
  validation  N records through our validation step (pandas, with the quarantine split), and the
              same pandera schema alone on pandas and on polars (bench/validation_backends.py)
  delivery    N-row set-based delivery into DuckDB (the day replaced in one transaction, within the
              warehouse's memory_limit) vs a row-by-row upsert of 10,000 rows (1,000 with --quick), scaled
  load        loading the code location's Definitions, and whether dagster_snowflake or pandera got imported
  orchestration, crawl_ceiling, scale   see bench/pipeline_figures.py (the crawl bare vs through
              Dagster; `scrapy bench` and a plain Scrapy spider vs our crawl with politeness off, with a
              profile; a day at three catalog sizes, time and peak RSS per step)
  control_plane  a 20-page day through `dagster job execute`, a target's first day and its next: wall,
              CPU-seconds outside the crawlers, event-log rows, and what 1.2 million runs a month
              need (bench/control_plane.py)
  seed_day    the seed's 48,201-product shop (5,000 with --quick), untuned YAML vs a bare Scrapy
              SitemapSpider, records exact, peak RSS per step (bench/seed_day.py)
  many_targets  loading the code location with 1, 100 and 1,000 generated targets (1 and 50 with
              --quick): CPU-s of our import and of Dagster resolving the repository, peak RSS
              (bench/many_targets.py)
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
from parsel import Selector

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.control_plane import bench_control_plane  # noqa: E402
from bench.many_targets import bench_many_targets  # noqa: E402
from bench.pipeline_figures import bench_crawl_ceiling, bench_orchestration, bench_scale  # noqa: E402
from bench.seed_day import SEED_PRODUCTS, bench_seed_day  # noqa: E402
from bench.validation_backends import validate_pandas, validate_polars  # noqa: E402
from scrape_assets.defs.resources import DuckDBWarehouse  # noqa: E402
from scrape_assets.demo_site.catalog import Catalog  # noqa: E402
from scrape_assets.demo_site.pages import product_page  # noqa: E402
from scrape_assets.extraction import extract_records  # noqa: E402
from scrape_assets.extraction.extract import record_schema  # noqa: E402
from scrape_assets.page_store import LocalPageStore, iter_latest_pages  # noqa: E402
from scrape_assets.target_config import load_target  # noqa: E402
from scrape_assets.target_config.loader import DEFAULT_TARGETS_DIR  # noqa: E402
from scrape_assets.validation.schema import arrow_schema  # noqa: E402
from scrape_assets.validation.split import validate_records  # noqa: E402

TARGET = load_target(DEFAULT_TARGETS_DIR / "demo_shop.yaml")
BASE = TARGET.base_url.rstrip("/")


def _median(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def bench_extraction(work: Path, pages: int, repeat: int) -> dict:
    store = LocalPageStore(work / "pages")
    catalog = Catalog(pages, 7)
    products = [catalog.product(i) for i in range(1, pages + 1)]
    bodies = [product_page(product, "v1", set()).encode() for product in products if product is not None]
    with store.segment_writer("bench/day", "s") as writer:
        for i, body in enumerate(bodies, start=1):
            writer.write(f"{BASE}/product/{i}", 200, "OK", [("Content-Type", "text/html; charset=utf-8")], body)

    def ours() -> None:
        extract_records(TARGET, iter_latest_pages(store, "bench/day"), work / "parsed.parquet")

    def floor() -> None:
        for body in bodies:
            selector = Selector(text=body.decode())
            for spec in TARGET.record.fields.values():
                (selector.css(spec.css) if spec.css else selector.xpath(str(spec.xpath))).getall()

    ours_s, floor_s = _median(ours, repeat), _median(floor, repeat)
    return {
        "figure": "extraction",
        "pages": pages,
        "ours_pages_per_s": round(pages / ours_s),
        "bare_parsel_pages_per_s": round(pages / floor_s),
        "ratio_ours_to_floor": round(floor_s / ours_s, 2),
    }


def _parsed_file(work: Path, rows: int) -> Path:
    n = list(range(rows))
    table = pa.table(
        {
            "sku": [f"SKU-007-{i:06d}" for i in n],
            "title": [f"Lamp {i}" for i in n],
            "price": [f"{(i % 900) + 1.5:.2f}" for i in n],
            "currency": ["USD"] * rows,
            "availability": ["in_stock"] * rows,
            "rating": ["4.5"] * rows,
            "category": ["Lighting"] * rows,
            "description": ["A lamp."] * rows,
            "source_url": [f"u{i}" for i in n],
            "page_ref": ["r"] * rows,
            "fetched_at": ["2026-01-01T00:00:00Z"] * rows,
            "extraction_errors": [None] * rows,
        },
        schema=record_schema(TARGET),
    )
    path = work / f"parsed-{rows}.parquet"
    pq.write_table(table, path)
    return path


def bench_validation(work: Path, rows: int, repeat: int) -> dict:
    parsed = _parsed_file(work, rows)
    seconds = _median(lambda: validate_records(TARGET, parsed, work / "valid.parquet", work / "q.parquet"), repeat)
    pandas_s = _median(lambda: validate_pandas(TARGET, parsed), repeat)
    polars_s = _median(lambda: validate_polars(TARGET, parsed), repeat)
    return {
        "figure": "validation",
        "rows": rows,
        "seconds": round(seconds, 2),
        "rows_per_s": round(rows / seconds),
        "schema_only_pandas_seconds": round(pandas_s, 2),
        "schema_only_polars_seconds": round(polars_s, 2),
        "ratio_pandas_to_polars": round(pandas_s / polars_s, 2),
    }


def bench_delivery(work: Path, rows: int, repeat: int, naive_rows: int) -> dict:
    validate_records(TARGET, _parsed_file(work, rows), work / "valid.parquet", work / "q.parquet")
    valid = work / "valid.parquet"

    warehouse = DuckDBWarehouse(database=str(work / "merge.duckdb"))  # as the delivered step connects

    def merge() -> None:
        warehouse.replace_partition(TARGET, valid, "2026-01-01")

    merge_s = _median(merge, repeat)
    sample = pq.read_table(valid).slice(0, naive_rows).to_pylist()
    columns = list(arrow_schema(TARGET, ()).names)

    def row_by_row() -> None:
        with duckdb.connect(str(work / "naive.duckdb")) as conn:
            conn.execute(
                "CREATE TABLE IF NOT EXISTS t ("
                + ", ".join(f"{c} VARCHAR" for c in columns)
                + ", partition_date DATE, PRIMARY KEY (sku, partition_date))"
            )
            for row in sample:
                conn.execute(
                    "INSERT OR REPLACE INTO t VALUES (" + ", ".join("?" for _ in columns) + ", '2026-01-01')",
                    [str(row[c]) for c in columns],
                )

    naive_s = _median(row_by_row, 1) * rows / len(sample)
    return {
        "figure": "delivery",
        "rows": rows,
        "merge_seconds": round(merge_s, 2),
        "row_by_row_seconds_scaled": round(naive_s, 1),
        "ratio": round(naive_s / merge_s, 1),
    }


def bench_load(repeat: int) -> dict:
    code = (
        "import sys, time; t=time.perf_counter(); import scrape_assets.definitions as d; "
        "print(time.perf_counter()-t, 'dagster_snowflake' in sys.modules, 'pandera' in sys.modules)"
    )
    outputs = [
        subprocess.run(
            [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True
        ).stdout.split()
        for _ in range(repeat)
    ]
    return {
        "figure": "load",
        "definitions_seconds": round(statistics.median(float(o[0]) for o in outputs), 2),
        "imports_dagster_snowflake": outputs[0][1] == "True",
        "imports_pandera": outputs[0][2] == "True",
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small sizes (under two minutes)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--only", default="", help="comma-separated figures to run (default: all)")
    parser.add_argument(
        "--profile-raw",
        default=str(Path(tempfile.gettempdir()) / "scrape_assets_crawl.pyspy.txt"),
        help="where crawl_ceiling writes py-spy's collapsed stacks of our crawl",
    )
    args = parser.parse_args()
    # quick: the row-by-row anchor over 1,000 rows (each upsert is a statement) and two day sizes
    pages, rows, naive_rows = (2_000, 100_000, 1_000) if args.quick else (10_000, 1_000_000, 10_000)
    products, sizes = (1_000, (500, 2_000)) if args.quick else (20_000, (5_000, 20_000, 50_000))
    wanted = set(filter(None, args.only.split(",")))
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        figures = {
            "extraction": lambda: bench_extraction(work, pages, args.repeat),
            "validation": lambda: bench_validation(work, rows, args.repeat),
            "delivery": lambda: bench_delivery(work, rows, args.repeat, naive_rows),
            "load": lambda: bench_load(args.repeat),
            "orchestration": lambda: bench_orchestration(products, args.repeat),
            "crawl_ceiling": lambda: bench_crawl_ceiling(products // 2, args.repeat, Path(args.profile_raw)),
            "scale": lambda: bench_scale(sizes),
            "control_plane": lambda: bench_control_plane(20, args.repeat),
            "seed_day": lambda: bench_seed_day(5_000 if args.quick else SEED_PRODUCTS, memory=not args.quick),
            "many_targets": lambda: {
                "figure": "many_targets",
                "sizes": bench_many_targets([1, 50] if args.quick else [1, 100, 1000]),
            },
        }
        for name, figure in figures.items():
            if not wanted or name in wanted:
                started = time.perf_counter()
                line = figure()
                line["bench_seconds"] = round(time.perf_counter() - started, 1)  # what measuring it took
                print(json.dumps(line), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
