"""Crawl generations: which segments make up a partition's current snapshot of the target.

The orchestrator opens a generation before a day's page crawl (its shards write their segments
without touching this file) and closes it once every shard has finished: a re-scrape after a
completed crawl replaces the snapshot. A crawl that fails leaves its generation open; the next crawl
of the day resumes it, carrying its segments over and fetching only what is missing. Segments belong
to a generation when it carries them or when they are page segments named (time-stamped) at or after
it opened. Extraction reads the latest generation's segments only.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

from scrape_assets.page_store.store import PageStore
from scrape_assets.shards import shard_label

GENERATION_FILE = "generation.json"
PAGES_MARK = "-pages-"


@dataclass(frozen=True)
class Generation:
    """Segments carried from earlier attempts (oldest first), whether the crawl completed, and the
    time stamp (segment-name format) the current attempt opened at."""

    segments: list[str] = field(default_factory=list)
    complete: bool = False
    opened: str = ""


def shard_mark(index: int, count: int) -> str:
    """The part of a page segment's name that says which shard wrote it."""
    return f"{PAGES_MARK}{shard_label(index, count)}-"


def read_generation(store: PageStore, prefix: str) -> Generation | None:
    """The partition's latest generation, or None when no page crawl has started."""
    data = store.get_artifact(prefix, GENERATION_FILE)
    return None if data is None else Generation(**json.loads(data))


def write_generation(store: PageStore, prefix: str, generation: Generation) -> None:
    store.put_artifact(prefix, GENERATION_FILE, json.dumps(asdict(generation)).encode())


def generation_segments(store: PageStore, prefix: str, generation: Generation, mark: str = PAGES_MARK) -> list[str]:
    """The generation's segments: those it carries, then page segments written since it opened
    (only those whose name holds `mark`, e.g. one shard's `shard_mark`)."""
    since = [
        name
        for name in store.segments(prefix)
        if generation.opened and name >= generation.opened and mark in name and name not in generation.segments
    ]
    return [*generation.segments, *sorted(since)]


def readable_segments(store: PageStore, prefix: str, generation: Generation) -> list[str]:
    """The segments extraction reads: a closed generation's list, or, for a crawl that stopped or was
    interrupted, what its shards stored so far."""
    return generation.segments if generation.complete else generation_segments(store, prefix, generation)


def open_generation(store: PageStore, prefix: str, opened: str) -> tuple[Generation, list[str]]:
    """Open the generation a day's page crawl writes into. Returns it and the earlier segments it
    resumes (empty for a fresh snapshot)."""
    current = read_generation(store, prefix)
    earlier = [] if current is None or current.complete else generation_segments(store, prefix, current)
    generation = Generation(segments=earlier, complete=False, opened=opened)
    write_generation(store, prefix, generation)
    return generation, earlier


def close_generation(store: PageStore, prefix: str, generation: Generation) -> Generation:
    """Mark the crawl complete, listing every segment it wrote."""
    closed = Generation(
        segments=generation_segments(store, prefix, generation), complete=True, opened=generation.opened
    )
    write_generation(store, prefix, closed)
    return closed
