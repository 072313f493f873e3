"""The frontier artifact: the day's URLs to crawl and the robots.txt facts, stored beside the pages."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass

from scrape_assets.page_store.store import PageStore

FRONTIER_FILE = "frontier.jsonl"
ROBOTS_FILE = "robots.json"


@dataclass(frozen=True)
class Frontier:
    """URLs to crawl, listing pages and record pages, and what robots.txt said.

    URLs are held as two lists of strings, not one dict per line: at 50,000 URLs that is about a
    fifth of the memory, and the crawler holds the frontier for the whole crawl."""

    listings: list[str]
    records: list[str]
    crawl_delay: float
    robots_disallowed: int

    @property
    def record_url_count(self) -> int:
        return len(self.records)

    @property
    def entries(self) -> Iterator[dict[str, str]]:
        """Every URL as `{"url", "kind"}` (`kind` is `listing` or `record`), listings first."""
        yield from ({"url": url, "kind": "listing"} for url in self.listings)
        yield from ({"url": url, "kind": "record"} for url in self.records)


def write_frontier(store: PageStore, prefix: str, frontier: Frontier) -> None:
    """Store the frontier of a partition (replacing an earlier one)."""
    lines = "".join(json.dumps(e) + "\n" for e in frontier.entries)
    store.put_artifact(prefix, FRONTIER_FILE, lines.encode())
    robots = {"crawl_delay": frontier.crawl_delay, "robots_disallowed": frontier.robots_disallowed}
    store.put_artifact(prefix, ROBOTS_FILE, json.dumps(robots).encode())


def read_frontier(store: PageStore, prefix: str) -> Frontier:
    """The partition's stored frontier; FileNotFoundError naming the location when there is none,
    ValueError naming the file and line when a line is not a frontier entry."""
    lines = store.get_artifact(prefix, FRONTIER_FILE)
    robots = store.get_artifact(prefix, ROBOTS_FILE)
    if lines is None or robots is None:
        raise FileNotFoundError(f"no frontier stored under {store.location(prefix)}: materialize url_frontier first")
    facts = json.loads(robots)
    by_kind: dict[str, list[str]] = {"listing": [], "record": []}
    for number, line in enumerate(lines.splitlines(), start=1):
        if not line:
            continue
        try:
            entry = json.loads(line)
        except ValueError:
            entry = None
        if not isinstance(entry, dict) or entry.get("kind") not in by_kind or not isinstance(entry.get("url"), str):
            raise ValueError(
                f"{store.location(prefix)}/{FRONTIER_FILE} line {number}: not a frontier entry: {line[:200]!r}"
            )
        by_kind[entry["kind"]].append(entry["url"])
    return Frontier(by_kind["listing"], by_kind["record"], float(facts["crawl_delay"]), int(facts["robots_disallowed"]))
