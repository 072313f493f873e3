"""Crawler entry point, the same in a subprocess and in a Kubernetes pod: `python -m scrape_assets.crawler`.

Launched through Dagster Pipes; reads its job from the Pipes extras:
`mode` (`frontier` | `pages`), `target` (the target config as JSON), `page_store` (store spec),
`prefix` (`<target>/<day>`), `segment` (a new segment name), `progress_interval` (seconds), and for
pages: `shard` (`{"index", "count"}`) and `resume_segments` (segments whose pages are not fetched again).
The crawl's summary is reported as a custom message `{"crawl_result": {...}}` (the step that launched
it may be one op of a graph-backed asset, so it reports no materialization of its own).
The environment may set `SCRAPE_ASSETS_REDIS_URL` (a secret: never passed in extras) to share the
target's rate limit with every other crawler process through Redis.
A named crawl failure (target unreachable, incomplete frontier) is reported as a custom message and
the process exits 0 so the orchestrator can raise it by name; any other error exits non-zero.
"""

from __future__ import annotations

import os
import sys

from dagster_pipes import open_dagster_pipes

from scrape_assets.crawler.failures import CrawlFailure
from scrape_assets.crawler.lifeline import die_with_parent
from scrape_assets.crawler.run import run_frontier, run_pages
from scrape_assets.page_store import page_store_from_spec
from scrape_assets.target_config.models import TargetConfig

RUNNERS = {"frontier": run_frontier, "pages": run_pages}


def main() -> int:
    if not die_with_parent():
        print("the process that launched this crawler is gone: not crawling", file=sys.stderr)
        return 1
    with open_dagster_pipes() as pipes:
        mode = pipes.get_extra("mode")
        if mode not in RUNNERS:
            raise ValueError(f"unknown crawl mode {mode!r}; expected one of {sorted(RUNNERS)}")
        target = TargetConfig.model_validate(pipes.get_extra("target"))
        store_spec = pipes.get_extra("page_store")
        options = {}
        if mode == "pages":
            shard = pipes.get_extra("shard")
            options = {
                "shard": (int(shard["index"]), int(shard["count"])),
                "resume_segments": list(pipes.get_extra("resume_segments")),
            }
        try:
            summary = RUNNERS[mode](
                target,
                page_store_from_spec(store_spec),
                store_spec,
                pipes.get_extra("prefix"),
                pipes.get_extra("segment"),
                float(pipes.get_extra("progress_interval")),
                redis_url=os.environ.get("SCRAPE_ASSETS_REDIS_URL", ""),
                **options,
            )
        except CrawlFailure as failure:
            pipes.log.error(f"{failure.kind}: {failure}")
            pipes.report_custom_message(failure.to_message())
            return 0
        pipes.report_custom_message({"crawl_result": summary})
    return 0


if __name__ == "__main__":
    sys.exit(main())
