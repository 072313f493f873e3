"""Where WARC segments live, and reading a partition's latest response per URL.

`LocalPageStore` keeps segments on local disk under `root/<prefix>/`. The S3 store implements the
same methods. A prefix is `<target>/<day>`: one folder of segments per partition.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import IO, Any, Protocol

from scrape_assets.page_store.warc import IndexEntry, SegmentWriter, StoredPage, iter_segment, scan_index

SEGMENT_SUFFIX = ".warc.gz"
INDEX_SUFFIX = ".idx.jsonl"


def partition_prefix(target: str, day: str) -> str:
    """The prefix under which a target's pages for one day are stored."""
    return f"{target}/{day}"


class PageStore(Protocol):
    """What the crawler and extraction need from a page store."""

    def location(self, prefix: str) -> str: ...
    def segment_writer(self, prefix: str, segment: str) -> AbstractContextManager[SegmentWriter]: ...
    def segments(self, prefix: str) -> list[str]: ...
    def read_index(self, prefix: str, segment: str) -> list[IndexEntry]: ...
    def open_segment(self, prefix: str, segment: str) -> IO[bytes]: ...
    def put_artifact(self, prefix: str, name: str, data: bytes) -> None: ...
    def get_artifact(self, prefix: str, name: str) -> bytes | None: ...
    def spec(self) -> dict[str, Any]: ...
    def recover(self, prefix: str, mark: str = "") -> list[str]: ...


class LocalPageStore:
    """Segments as files under a local folder."""

    def __init__(self, root: str | os.PathLike[str]):
        self.root = Path(root)

    def location(self, prefix: str) -> str:
        return str(self.root / prefix)

    @contextmanager
    def segment_writer(self, prefix: str, segment: str) -> Iterator[SegmentWriter]:
        folder = self.root / prefix
        folder.mkdir(parents=True, exist_ok=True)
        with (
            open(folder / f"{segment}{SEGMENT_SUFFIX}", "xb") as warc,
            open(folder / f"{segment}{INDEX_SUFFIX}", "x", encoding="utf-8") as index,
        ):
            yield SegmentWriter(warc, index)

    def segments(self, prefix: str) -> list[str]:
        folder = self.root / prefix
        if not folder.is_dir():
            return []
        return sorted(p.name[: -len(SEGMENT_SUFFIX)] for p in folder.glob(f"*{SEGMENT_SUFFIX}"))

    def read_index(self, prefix: str, segment: str) -> list[IndexEntry]:
        index = self.root / prefix / f"{segment}{INDEX_SUFFIX}"
        if index.exists():
            with open(index, encoding="utf-8") as lines:
                return [IndexEntry.from_json(line) for line in lines if line.endswith("\n")]
        with self.open_segment(prefix, segment) as stream:
            return scan_index(stream)

    def open_segment(self, prefix: str, segment: str) -> IO[bytes]:
        return open(self.root / prefix / f"{segment}{SEGMENT_SUFFIX}", "rb")

    def put_artifact(self, prefix: str, name: str, data: bytes) -> None:
        """Store a small file beside the segments (the frontier, robots facts), atomically."""
        folder = self.root / prefix
        folder.mkdir(parents=True, exist_ok=True)
        partial = folder / f".{name}.partial"
        partial.write_bytes(data)
        os.replace(partial, folder / name)

    def get_artifact(self, prefix: str, name: str) -> bytes | None:
        path = self.root / prefix / name
        return path.read_bytes() if path.exists() else None

    def recover(self, prefix: str, mark: str = "") -> list[str]:
        """Nothing to recover on disk: a killed writer's segment is its file, as far as it was flushed."""
        return []

    def spec(self) -> dict[str, str]:
        """JSON-able description, so a crawler process can open the same store."""
        return {"kind": "local", "root": str(self.root.resolve())}


def page_store_from_spec(spec: dict) -> PageStore:
    """Open the store a spec describes (the crawler receives the spec through Pipes extras)."""
    if spec.get("kind") == "local":
        return LocalPageStore(spec["root"])
    if spec.get("kind") == "s3":
        from scrape_assets.page_store.s3 import S3PageStore

        return S3PageStore(
            spec["bucket"],
            spec.get("root", ""),
            spec.get("endpoint_url"),
            spec.get("region"),
            int(spec.get("part_size") or 8 * 1024 * 1024),
        )
    raise ValueError(f"page store spec: unknown kind {spec.get('kind')!r} in {spec}")


def latest_entries(
    store: PageStore, prefix: str, segments: list[str] | None = None
) -> dict[str, tuple[str, IndexEntry]]:
    """URL -> (segment, entry) of its latest stored response across `segments` (default: all)."""
    latest: dict[str, tuple[str, IndexEntry]] = {}
    for segment in store.segments(prefix) if segments is None else segments:
        for entry in store.read_index(prefix, segment):
            latest[entry.url] = (segment, entry)
    return latest


def iter_latest_pages(store: PageStore, prefix: str, segments: list[str] | None = None) -> Iterator[StoredPage]:
    """Stream the latest response of every URL in `segments` (default: all), one body in memory at a time."""
    return iter_pages(store, prefix, latest_entries(store, prefix, segments).values())


def iter_pages(store: PageStore, prefix: str, entries: Iterable[tuple[str, IndexEntry]]) -> Iterator[StoredPage]:
    """Stream the stored responses that `entries` ((segment, index entry) pairs) point at, by segment."""
    wanted: dict[str, set[int]] = {}
    for segment, entry in entries:
        wanted.setdefault(segment, set()).add(entry.offset)
    for segment in sorted(wanted):
        with store.open_segment(prefix, segment) as stream:
            yield from iter_segment(stream, f"{prefix}/{segment}", wanted[segment])
