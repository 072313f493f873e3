"""Benchmarks of the whole pipeline against the demo site, each step in a process of its own.

- `orchestration`: the same page crawl (same spider, settings, site, catalog) bare, i.e. the crawler's
  entry called in a plain Python process, versus `raw_pages` materialized through Dagster with the
  crawler launched by Pipes. Wall time of each whole process (interpreter start and imports
  included), pages/s, and peak RSS of the orchestrator and of the crawler.
- `crawl_ceiling`: `scrapy bench` on this machine, a plain Scrapy spider (default settings, nothing of
  ours) fetching the demo site's frontier, and our crawl of the same frontier with politeness off
  (bench/step_process.py `unthrottled`): pages/s of each, interleaved; and a py-spy profile of ours:
  CPU samples by library, and the share with our own code on the stack (raw stacks kept in a file).
- `scale`: one end-to-end day per catalog size, each step materialized in its own process: wall time
  and peak RSS per step (the crawler's own peak for the crawl steps), and the ratio of the largest
  size's peak to the smallest's.
"""

from __future__ import annotations

import json
import os
import re
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


def job_execute_command(day: str = DAY) -> list[str]:
    """`dagster job execute` of the demo shop's daily job for `day`: a run launched as an operator does."""
    return [sys.executable, "-m", "dagster", "job", "execute", "-m", "scrape_assets.definitions"] + [
        "-j",
        "daily_demo_shop",
        "--tags",
        json.dumps({"dagster/partition": day}),
    ]


def _run(env: dict[str, str], *args: str) -> dict:
    """One measured process (bench/step_process.py, or bench/plain_crawl.py for `plain`); its JSON
    line plus its wall time seen from here."""
    script = ["plain_crawl.py", *args[1:]] if args[0] == "plain" else ["step_process.py", *args]
    started = time.perf_counter()
    completed = subprocess.run(
        [sys.executable, str(REPO / "bench" / script[0]), *script[1:]],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    wall = time.perf_counter() - started
    if completed.returncode != 0:
        raise RuntimeError(f"bench step {args} failed:\n{completed.stderr[-3000:]}")
    return {**json.loads(completed.stdout.strip().splitlines()[-1]), "wall": wall}


def _environment(work: Path, site: DemoSite) -> dict[str, str]:
    home = work / "dagster_home"
    home.mkdir(exist_ok=True)
    env = {
        **os.environ,
        "SCRAPE_ASSETS_DATA_DIR": str(work / "data"),
        "DAGSTER_HOME": str(home),
        "DEMO_SHOP_URL": site.url,
        "SCRAPE_ASSETS_PROGRESS_INTERVAL": "30",
    }
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
        "figure": "orchestration",
        "products": products,
        "pages": pages,
        "bare_process_seconds": round(bare_s, 2),
        "dagster_process_seconds": round(dagster_s, 2),
        "ratio_dagster_to_bare": round(dagster_s / bare_s, 3),
        "bare_pages_per_s": round(pages / bare_s),
        "dagster_pages_per_s": round(dagster[0]["pages"] / dagster_s),
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
            # or, for a big day, in worker processes it starts: the largest process of the step
            **{
                f"{step}_peak_rss_mib": (
                    s["crawler_peak_rss_mib"]
                    if step in ("url_frontier", "raw_pages")
                    else max(s["peak_self_mib"], s.get("worker_peak_rss_mib", 0.0))
                )
                for step, s in steps.items()
            },
            **{
                f"{step}_step_process_peak_rss_mib": s["peak_self_mib"]
                for step, s in steps.items()
                if step not in ("url_frontier", "raw_pages")
            },
        }
    small, large = rows[min(sizes)], rows[max(sizes)]
    growth = {
        f"{step}_rss_growth": round(large[f"{step}_peak_rss_mib"] / small[f"{step}_peak_rss_mib"], 2)
        for step in STEP_ORDER
    }
    return {"figure": "scale", "sizes": list(sizes), "by_size": rows, **growth}


def _scrapy_bench() -> float:
    """`scrapy bench` on this machine: pages/s of Scrapy's own benchmark spider and server."""
    with tempfile.TemporaryDirectory() as tmp:
        completed = subprocess.run(
            [sys.executable, "-m", "scrapy", "bench"], cwd=tmp, capture_output=True, text=True, check=True
        )
    found = {
        key: float(value)
        for key, value in re.findall(r"'(response_received_count|elapsed_time_seconds)': ([0-9.]+)", completed.stderr)
    }
    return found["response_received_count"] / found["elapsed_time_seconds"]


def bench_crawl_ceiling(products: int, repeat: int, profile_path: Path) -> dict:
    with tempfile.TemporaryDirectory() as tmp, DemoSite(products=products) as site:
        env = _environment(Path(tmp), site)
        _run(env, "dagster", DAY, "url_frontier")
        frontier = next((Path(tmp) / "data" / "pages").rglob("frontier.jsonl"))
        scrapy_bench, plain, ours = [], [], []
        for _ in range(repeat):  # interleaved
            scrapy_bench.append(_scrapy_bench())
            plain.append(_run(env, "plain", str(frontier)))
            ours.append(_run(env, "unthrottled", DAY))
        _profile(env, profile_path)

    def rate(runs: list[dict]) -> float:
        return statistics.median(r["pages"] / r["crawl_seconds"] for r in runs)

    plain_rate, ours_rate = rate(plain), rate(ours)
    return {
        "figure": "crawl_ceiling",
        "products": products,
        "pages": ours[0]["pages"],
        "scrapy_bench_pages_per_s": round(statistics.median(scrapy_bench)),
        "plain_scrapy_pages_per_s": round(plain_rate),
        "ours_politeness_off_pages_per_s": round(ours_rate),
        "ratio_ours_to_plain_scrapy": round(ours_rate / plain_rate, 3),
        **profile_summary(profile_path),
        "profile_raw": str(profile_path),
    }


def _profile(env: dict[str, str], raw_path: Path) -> None:
    """One more `unthrottled` crawl, sampled by py-spy (collapsed stacks written to `raw_path`)."""
    subprocess.run(
        [
            str(Path(sys.executable).with_name("py-spy")),
            "record",
            "--rate",
            "200",
            "--format",
            "raw",
            "--full-filenames",
            "--output",
            str(raw_path),
            "--",
            sys.executable,
            str(REPO / "bench" / "step_process.py"),
            "unthrottled",
            DAY,
        ],
        env=env,
        cwd=REPO,
        capture_output=True,
        check=True,
    )


def _package(frame: str) -> str:
    """`function (path:line)` -> the library the frame's file belongs to (`ours` for scrape_assets)."""
    path = frame.rsplit(" (", 1)[-1]
    if "/scrape_assets/" in path:
        return "ours"
    if "site-packages/" in path:
        return path.split("site-packages/", 1)[1].split("/", 1)[0].split(".", 1)[0]
    return "python stdlib" if path.startswith("/") else "other"


def profile_summary(raw_path: Path) -> dict:
    """Where the crawler's CPU samples go: by the library of the innermost frame (self time), and the
    share of samples with our own code on the stack (`scrape_assets/` below the crawl's entry, which
    everything runs under), with its largest entry points."""
    by_package: dict[str, int] = {}
    ours_entries: dict[str, int] = {}
    total = 0
    for line in raw_path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack:
            continue
        samples, frames = int(count), stack.split(";")
        total += samples
        leaf = _package(frames[-1])
        by_package[leaf] = by_package.get(leaf, 0) + samples
        own = [f for f in frames if _package(f) == "ours" and "crawler/run.py" not in f]
        if own:
            entry = own[0].split(" (", 1)[0] + " (" + own[0].rsplit("/scrape_assets/", 1)[-1].split(":", 1)[0] + ")"
            ours_entries[entry] = ours_entries.get(entry, 0) + samples

    def shares(counts: dict[str, int], top: int) -> dict[str, float]:
        return {k: round(v / total, 3) for k, v in sorted(counts.items(), key=lambda kv: -kv[1])[:top]}

    return {
        "profile_samples": total,
        "profile_self_time_by_library": shares(by_package, 8),
        "profile_share_with_our_code_on_stack": round(sum(ours_entries.values()) / max(total, 1), 3),
        "profile_our_entry_points": shares(ours_entries, 5),
    }
