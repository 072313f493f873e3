"""The frontier artifact: the day's URLs to crawl and the robots.txt facts, stored beside the pages."""

from __future__ import annotations

import json
from dataclasses import dataclass

from scrape_assets.page_store.store import PageStore

FRONTIER_FILE = "frontier.jsonl"
ROBOTS_FILE = "robots.json"


@dataclass(frozen=True)
class Frontier:
    """URLs to crawl (`kind` is `record` or `listing`) and what robots.txt said."""

    entries: list[dict[str, str]]
    crawl_delay: float
    robots_disallowed: int

    @property
    def record_urls(self) -> int:
        return sum(1 for e in self.entries if e["kind"] == "record")


def write_frontier(store: PageStore, prefix: str, frontier: Frontier) -> None:
    """Store the frontier of a partition (replacing an earlier one)."""
    lines = "".join(json.dumps(e) + "\n" for e in frontier.entries)
    store.put_artifact(prefix, FRONTIER_FILE, lines.encode())
    robots = {"crawl_delay": frontier.crawl_delay, "robots_disallowed": frontier.robots_disallowed}
    store.put_artifact(prefix, ROBOTS_FILE, json.dumps(robots).encode())


def read_frontier(store: PageStore, prefix: str) -> Frontier:
    """The partition's stored frontier; FileNotFoundError naming the location when there is none."""
    lines = store.get_artifact(prefix, FRONTIER_FILE)
    robots = store.get_artifact(prefix, ROBOTS_FILE)
    if lines is None or robots is None:
        raise FileNotFoundError(f"no frontier stored under {store.location(prefix)}: materialize url_frontier first")
    facts = json.loads(robots)
    entries = [json.loads(line) for line in lines.decode().splitlines() if line]
    return Frontier(entries, float(facts["crawl_delay"]), int(facts["robots_disallowed"]))
