"""Benchmarks of the whole pipeline against the demo site, each step in a process of its own.

- `orchestration`: the same page crawl (same spider, settings, site, catalog) bare, i.e. the crawler's
  entry called in a plain Python process, versus `raw_pages` materialized through Dagster with the
  crawler launched by Pipes. Wall time of each whole process (interpreter start and imports
  included), pages/s, and peak RSS of the orchestrator and of the crawler.
- `scale`: one end-to-end day per catalog size, each step materialized in its own process: wall time
  and peak RSS per step (the crawler's own peak for the crawl steps), and the ratio of the largest
  size's peak to the smallest's.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from scrape_assets.demo_site.process import DemoSite  # noqa: E402

DAY = "2026-11-20"
STEP_ORDER = ("url_frontier", "raw_pages", "parsed_records", "validate", "delivered")


def _run(env: dict[str, str], *args: str) -> dict:
    """One measured process; its JSON line plus its wall time seen from here."""
    started = time.perf_counter()
    completed = subprocess.run([sys.executable, str(REPO / "bench" / "step_process.py"), *args], env=env,
                               cwd=REPO, capture_output=True, text=True)
    wall = time.perf_counter() - started
    if completed.returncode != 0:
        raise RuntimeError(f"bench step {args} failed:\n{completed.stderr[-3000:]}")
    return {**json.loads(completed.stdout.strip().splitlines()[-1]), "wall": wall}


def _environment(work: Path, site: DemoSite) -> dict[str, str]:
    home = work / "dagster_home"
    home.mkdir(exist_ok=True)
    env = {**os.environ, "SCRAPE_ASSETS_DATA_DIR": str(work / "data"), "DAGSTER_HOME": str(home),
           "DEMO_SHOP_URL": site.url, "SCRAPE_ASSETS_PROGRESS_INTERVAL": "30"}
    env.pop("REDIS_URL", None)
    return env


def bench_orchestration(products: int, repeat: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp, DemoSite(products=products) as site:
        env = _environment(Path(tmp), site)
        _run(env, "dagster", DAY, "url_frontier")  # the frontier both crawls read
        bare, dagster = [], []
        for _ in range(repeat):  # interleaved, so that a noisy neighbour hits both alike
            bare.append(_run(env, "bare", DAY))
            dagster.append(_run(env, "dagster", DAY, "raw_pages"))

    def median(runs: list[dict], key: str) -> float:
        return statistics.median(r[key] for r in runs)

    bare_s, dagster_s = median(bare, "wall"), median(dagster, "wall")
    pages = bare[0]["pages"]
    return {
        "figure": "orchestration", "products": products, "pages": pages,
        "bare_process_seconds": round(bare_s, 2), "dagster_process_seconds": round(dagster_s, 2),
        "ratio_dagster_to_bare": round(dagster_s / bare_s, 3),
        "bare_pages_per_s": round(pages / bare_s), "dagster_pages_per_s": round(dagster[0]["pages"] / dagster_s),
        "bare_crawl_only_seconds": round(median(bare, "seconds"), 2),
        "bare_peak_rss_mib": max(r["peak_self_mib"] for r in bare),
        "dagster_orchestrator_peak_rss_mib": max(r["peak_self_mib"] for r in dagster),
        "dagster_crawler_peak_rss_mib": max(r["crawler_peak_rss_mib"] for r in dagster),
    }


def bench_scale(sizes: tuple[int, ...]) -> dict:
    rows = {}
    for products in sizes:
        with tempfile.TemporaryDirectory() as tmp, DemoSite(products=products) as site:
            env = _environment(Path(tmp), site)
            steps = {step: _run(env, "dagster", DAY, step) for step in STEP_ORDER}
        rows[products] = {
            "day_seconds": round(sum(s["wall"] for s in steps.values()), 1),
            **{f"{step}_seconds": round(s["wall"], 1) for step, s in steps.items()},
            # the crawl steps' work happens in the crawler child; the others in the step process itself
            **{f"{step}_peak_rss_mib": (s["crawler_peak_rss_mib"] if step in ("url_frontier", "raw_pages")
                                        else s["peak_self_mib"]) for step, s in steps.items()},
        }
    small, large = rows[min(sizes)], rows[max(sizes)]
    growth = {f"{step}_rss_growth": round(large[f"{step}_peak_rss_mib"] / small[f"{step}_peak_rss_mib"], 2)
              for step in STEP_ORDER}
    return {"figure": "scale", "sizes": list(sizes), "by_size": rows, **growth}
