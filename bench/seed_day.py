"""`seed_day`: the seed's shop, untuned. A generated shop of 48,201 products behind a sitemap index
whose last child sitemap is gzipped, crawled in the same run, one after the other, by:

- a bare Scrapy `SitemapSpider` that parses in the spider at concurrency 32
  (bench/bare_sitemap_spider.py): what a team writes without us;
- our daily job with the bundled YAML as shipped (no sharding or concurrency lines), launched as an
  operator does (`dagster job execute` on a local instance) and ending in the delivered table.

Wall time of each whole command, and whether each got every product exactly once. Then the peak RSS of
each step of ours at that size, every step materialized in a process of its own (the `scale` figure's
machinery, bench/pipeline_figures.py).
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.pipeline_figures import _environment, bench_scale, job_execute_command  # noqa: E402
from scrape_assets.demo_site.process import DemoSite  # noqa: E402

SEED_PRODUCTS = 48_201


def _bare(site: DemoSite, work: Path) -> dict:
    started = time.perf_counter()
    completed = subprocess.run(
        [sys.executable, str(REPO / "bench" / "bare_sitemap_spider.py"), site.url, str(work / "bare.jsonl")],
        capture_output=True,
        text=True,
    )
    wall = time.perf_counter() - started
    if completed.returncode != 0:
        raise RuntimeError(f"bare spider failed:\n{completed.stderr[-3000:]}")
    return {**json.loads(completed.stdout.strip().splitlines()[-1]), "wall": wall}


def _ours(site: DemoSite, work: Path) -> dict:
    from scrape_assets.local_instance import prepare_local_instance

    work.mkdir(parents=True, exist_ok=True)
    env = _environment(work, site)
    prepare_local_instance(Path(env["DAGSTER_HOME"])).dispose()
    started = time.perf_counter()
    completed = subprocess.run(job_execute_command(), env=env, cwd=REPO, capture_output=True, text=True)
    wall = time.perf_counter() - started
    if completed.returncode != 0:
        raise RuntimeError(f"daily job failed:\n{completed.stderr[-3000:]}")
    with duckdb.connect(str(work / "data" / "warehouse.duckdb"), read_only=True) as conn:
        rows, keys = conn.execute("SELECT count(*), count(DISTINCT sku) FROM delivered_demo_shop").fetchone() or (0, 0)
    return {"wall": wall, "items": rows, "distinct_keys": keys}


def bench_seed_day(products: int = SEED_PRODUCTS, memory: bool = True) -> dict:
    """Bare spider vs our daily job on one `products`-product shop; per-step peak RSS when `memory`."""
    with tempfile.TemporaryDirectory() as tmp, DemoSite(products, extra_args=("--gzip-last-sitemap",)) as site:
        work = Path(tmp)
        bare = _bare(site, work)
        print(f"bare: {bare}", file=sys.stderr, flush=True)
        ours = _ours(site, work / "ours")
        print(f"ours: {ours}", file=sys.stderr, flush=True)
    figures = {
        "figure": "seed_day",
        "products": products,
        "bare_scrapy_seconds": round(bare["wall"], 1),
        "ours_seconds": round(ours["wall"], 1),
        "ratio_ours_to_bare": round(ours["wall"] / bare["wall"], 3),
        "bare_records_exact": bare["items"] == bare["distinct_keys"] == products,
        "ours_records_exact": ours["items"] == ours["distinct_keys"] == products,
    }
    if memory:
        scale = bench_scale((products,))["by_size"][products]
        figures["peak_rss_mib_by_step"] = {k[: -len("_peak_rss_mib")]: v for k, v in scale.items() if "rss" in k}
    return figures


if __name__ == "__main__":
    print(json.dumps(bench_seed_day(int(sys.argv[1]) if len(sys.argv) > 1 else SEED_PRODUCTS)))
