"""`many_targets`: what loading the code location costs with N targets in one targets folder.

N copies of the demo target (distinct names, every schedule at the same hour) in a fresh folder, and
for each N two fresh processes that load the code location as Dagster's processes do:
- `whole`: the code server (and so the UI and the daemon): importing `scrape_assets.definitions`,
  then building every target and resolving the repository and every job.
- `one run`: each run's process, step process and `dagster job execute` of one target: importing it,
  then rebuilding that target's daily job the way the run worker does
  (`ReconstructableJob.get_definition` -> `get_maybe_subset_job_def`).
Per N: CPU-s and wall of each phase, and the process's peak RSS.

With `--runs`, also one target's day end to end beside the N-1 others: demo_shop's daily job against a
20-product demo site, executed as the run worker of a launched run does (`bench/run_of_one_target.py`),
a first day then the next (the steady state of a daily schedule), CPU-s of every process of the run
(bench/control_plane.py measures it), optionally against another checkout (`--against DIR`, a `git
worktree` of an earlier commit) in the same run.
No assertion: figures for the README.

With `--ui`, also the UI: seconds from starting `dagster-webserver` until the code location answered
with the whole asset graph, and the seconds of the asset-graph query after it.

With `--components`, the load figures are of the same targets declared as Dagster components
(`sites/<name>/defs.yaml`) instead of target YAMLs.

`python bench/many_targets.py 1 100 1000 [--components] [--runs] [--ui] [--against DIR]`
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from scrape_assets.target_config.loader import DEFAULT_TARGETS_DIR  # noqa: E402

PROBE = """
import json, resource, time
def cpu():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime
started, started_cpu = time.perf_counter(), cpu()
import sys
import scrape_assets.definitions as location
imported, imported_cpu = time.perf_counter(), cpu()
repository = location.defs
if sys.argv[1] == "whole":
    jobs = repository.get_all_jobs()
    counts = {"jobs": len(jobs), "assets": len(repository.asset_graph.get_all_asset_keys()),
              "checks": len(repository.asset_graph.asset_check_keys)}
else:
    job = repository.get_maybe_subset_job_def(sys.argv[1])
    counts = {"jobs": 1, "assets": len(job.asset_layer.asset_graph.get_all_asset_keys()), "checks": 0}
resolved, resolved_cpu = time.perf_counter(), cpu()
print(json.dumps({
    **counts,
    "import_cpu_s": round(imported_cpu - started_cpu, 2),
    "import_wall_s": round(imported - started, 2),
    "resolve_cpu_s": round(resolved_cpu - imported_cpu, 2),
    "resolve_wall_s": round(resolved - imported, 2),
    "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
}))
"""


def generated_targets(folder: Path, count: int) -> Path:
    """`count` copies of the demo target named `shop_0001`...: the same YAML, distinct targets."""
    folder.mkdir(parents=True, exist_ok=True)
    body = (DEFAULT_TARGETS_DIR / "demo_shop.yaml").read_text()
    for number in range(1, count + 1):
        (folder / f"shop_{number:04d}.yaml").write_text(body)
    return folder


def generated_sites(folder: Path, count: int) -> Path:
    """The same targets declared as Dagster components: `sites/shop_0001/defs.yaml`... under `folder`,
    beside an empty targets folder `folder/targets`."""
    (folder / "targets").mkdir(parents=True, exist_ok=True)
    settings = "\n".join(f"  {line}" for line in (DEFAULT_TARGETS_DIR / "demo_shop.yaml").read_text().splitlines())
    for number in range(1, count + 1):
        site = folder / "sites" / f"shop_{number:04d}"
        site.mkdir(parents=True)
        (site / "defs.yaml").write_text(f"type: scrape_assets.ScrapeTarget\nattributes:\n{settings}\n")
    return folder


def load_cost(targets: Path, data: Path, what: str = "whole") -> dict:
    """One fresh process loading the code location of `targets` (a folder of target YAMLs, or one
    `generated_sites` made: `whole`, or a job's name for what a run of that job builds): its phases'
    CPU-s, wall, peak RSS."""
    declared = (targets / "sites").is_dir()
    env = {
        **os.environ,
        "SCRAPE_ASSETS_TARGETS_DIR": str(targets / "targets" if declared else targets),
        "SCRAPE_ASSETS_SITES_DIR": str(targets / "sites" if declared else targets / "no_sites"),
        "SCRAPE_ASSETS_DATA_DIR": str(data),
    }
    env.pop("DAGSTER_HOME", None)
    out = subprocess.run(
        [sys.executable, "-c", PROBE, what], cwd=REPO, env=env, capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def bench_many_targets(sizes: list[int], components: bool = False) -> list[dict]:
    """`load_cost` for each number of targets, in a folder of generated targets each (declared as
    components with `components`)."""
    figures = []
    generate = generated_sites if components else generated_targets
    with tempfile.TemporaryDirectory() as work:
        for count in sizes:
            folder = generate(Path(work) / f"targets_{count}", count)
            for what in ("whole", "daily_shop_0001"):
                cost = load_cost(folder, Path(work) / "data", what)
                kind = "whole" if what == "whole" else "one run"
                figures.append({"targets": count, "what": kind + (" (components)" if components else ""), **cost})
    return figures


def run_costs(sizes: list[int], checkouts: list[Path], products: int = 20) -> list[dict]:
    """CPU-s (all processes) and wall of demo_shop's first and next day beside `size - 1` other
    targets, for each checkout: each run a fresh `dagster job execute` on a fresh instance."""
    from bench.control_plane import FIRST_DAY, _one_run
    from bench.pipeline_figures import DAY, _environment
    from scrape_assets.demo_site.process import DemoSite
    from scrape_assets.local_instance import prepare_local_instance

    figures: list[dict] = []
    with tempfile.TemporaryDirectory() as work, DemoSite(products=products) as site:
        for count in sizes:
            folder = generated_targets(Path(work) / f"run_targets_{count}", count - 1)
            (folder / "demo_shop.yaml").write_text((DEFAULT_TARGETS_DIR / "demo_shop.yaml").read_text())
            for checkout in checkouts:
                runs = Path(work) / f"runs_{count}_{len(figures)}"
                runs.mkdir()
                env = {**_environment(runs, site), "SCRAPE_ASSETS_TARGETS_DIR": str(folder)}
                home = Path(env["DAGSTER_HOME"])
                prepare_local_instance(home).dispose()
                runner = [sys.executable, str(REPO / "bench" / "run_of_one_target.py")]
                first = _one_run(env, home, checkout, FIRST_DAY, [*runner, FIRST_DAY])
                steady = _one_run(env, home, checkout, DAY, [*runner, DAY])
                figures.append(
                    {
                        "targets": count,
                        "checkout": str(checkout),
                        "first_day_cpu_s": round(first["cpu"], 2),
                        "next_day_cpu_s": round(steady["cpu"], 2),
                        "next_day_wall_s": round(steady["wall"], 2),
                        "statuses": [first["status"], steady["status"]],
                    }
                )
    return figures


ASSET_GRAPH_QUERY = (
    "{ assetNodes { id assetKey { path } groupName isPartitioned "
    "dependencyKeys { path } dependedByKeys { path } jobNames } }"
)


def _graphql_seconds(port: int, query: str) -> tuple[float, dict]:
    import urllib.request

    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql",
        data=json.dumps({"query": query}).encode(),
        headers={"content-type": "application/json"},
    )
    started = time.perf_counter()
    with urllib.request.urlopen(request, timeout=600) as response:
        body = json.load(response)
    return time.perf_counter() - started, body


def ui_figures(sizes: list[int]) -> list[dict]:
    """Per N: the seconds from starting `dagster-webserver` until its code server answered with the
    whole asset graph, and the seconds of the asset-graph query (nodes, edges, groups, jobs) after."""
    figures = []
    with tempfile.TemporaryDirectory() as work:
        for count in sizes:
            folder = generated_targets(Path(work) / f"ui_targets_{count}", count)
            with socket.socket() as probe:
                probe.bind(("127.0.0.1", 0))
                port = probe.getsockname()[1]
            env = {
                **os.environ,
                "SCRAPE_ASSETS_TARGETS_DIR": str(folder),
                "SCRAPE_ASSETS_DATA_DIR": str(Path(work) / "data"),
                "DAGSTER_HOME": str(Path(work) / f"home_{count}"),
            }
            Path(env["DAGSTER_HOME"]).mkdir()
            webserver = Path(sys.executable).with_name("dagster-webserver")
            started = time.perf_counter()
            process = subprocess.Popen(
                [str(webserver), "-w", "workspace.yaml", "-p", str(port)],
                cwd=REPO,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
            try:
                nodes: list = []
                while len(nodes) < count * 6 and time.perf_counter() - started < 900:
                    try:
                        nodes = _graphql_seconds(port, ASSET_GRAPH_QUERY)[1]["data"]["assetNodes"]
                    except OSError:
                        time.sleep(1)
                answered = time.perf_counter() - started
                query_seconds, body = _graphql_seconds(port, ASSET_GRAPH_QUERY)
                figures.append(
                    {
                        "targets": count,
                        "asset_nodes": len(body["data"]["assetNodes"]),
                        "code_location_answered_s": round(answered, 1),
                        "asset_graph_query_s": round(query_seconds, 2),
                        "asset_graph_bytes": len(json.dumps(body)),
                    }
                )
            finally:
                os.killpg(process.pid, signal.SIGTERM)
                process.wait(timeout=120)
    return figures


def main() -> int:
    args = sys.argv[1:]
    against = Path(args[args.index("--against") + 1]).resolve() if "--against" in args else None
    if against is not None:
        del args[args.index("--against") : args.index("--against") + 2]
    runs, ui, components = "--runs" in args, "--ui" in args, "--components" in args
    sizes = [int(size) for size in args if not size.startswith("--")] or [1, 100, 1000]
    for figure in bench_many_targets(sizes, components):
        total = figure["import_cpu_s"] + figure["resolve_cpu_s"]
        wall = figure["import_wall_s"] + figure["resolve_wall_s"]
        print(
            f"many_targets {figure['targets']:>5} targets, {figure['what']} ({figure['assets']} assets, "
            f"{figure['checks']} checks, {figure['jobs']} jobs): load {total:.2f} CPU-s "
            f"(import {figure['import_cpu_s']}, build {figure['resolve_cpu_s']}), wall {wall:.2f} s, "
            f"peak RSS {figure['peak_rss_mib']} MiB"
        )
    if ui:
        for figure in ui_figures(sizes):
            print(
                f"many_targets {figure['targets']:>5} targets, UI: the code location answered "
                f"{figure['code_location_answered_s']} s after the webserver started; the asset-graph query "
                f"({figure['asset_nodes']} nodes, {figure['asset_graph_bytes']:,} bytes) took "
                f"{figure['asset_graph_query_s']} s"
            )
    if runs:
        for figure in run_costs(sizes, [against, REPO] if against else [REPO]):
            print(
                f"many_targets {figure['targets']:>5} targets, one target's day ({figure['checkout']}): "
                f"first day {figure['first_day_cpu_s']} CPU-s, next day {figure['next_day_cpu_s']} CPU-s "
                f"({figure['next_day_wall_s']} s wall), {figure['statuses']}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
