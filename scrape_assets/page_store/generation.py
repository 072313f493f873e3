"""Crawl generations: which segments make up a partition's current snapshot of the target.

A crawl that completes closes its generation; the next crawl of the day starts a new one (a
re-scrape replaces the snapshot). A crawl that fails leaves its generation open; the next crawl
resumes it, adding a segment and fetching only what is missing. Extraction reads the latest
generation's segments only.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

from scrape_assets.page_store.store import PageStore

GENERATION_FILE = "generation.json"


@dataclass(frozen=True)
class Generation:
    """Segments of one snapshot, oldest first, and whether its crawl completed."""

    segments: list[str] = field(default_factory=list)
    complete: bool = False


def read_generation(store: PageStore, prefix: str) -> Generation | None:
    """The partition's latest generation, or None when no page crawl has started."""
    data = store.get_artifact(prefix, GENERATION_FILE)
    return None if data is None else Generation(**json.loads(data))


def write_generation(store: PageStore, prefix: str, generation: Generation) -> None:
    store.put_artifact(prefix, GENERATION_FILE, json.dumps(asdict(generation)).encode())


def begin_generation(store: PageStore, prefix: str, segment: str) -> tuple[Generation, list[str]]:
    """Open the generation a new crawl writes `segment` into. Returns it and the earlier segments
    it resumes (empty for a fresh snapshot)."""
    current = read_generation(store, prefix)
    earlier = [] if current is None or current.complete else list(current.segments)
    generation = Generation(segments=[*earlier, segment], complete=False)
    write_generation(store, prefix, generation)
    return generation, earlier
