"""WARC segment format: one gzip member per response, plus a JSON-lines sidecar index.

A segment is `<name>.warc.gz`; its index `<name>.idx.jsonl` has one line per record
(`url`, `status`, `offset`, `fetched_at`) so readers can pick the latest response per URL without
decompressing every body twice. A segment whose index is missing (crawler killed) is re-indexed by
scanning it.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from io import BytesIO
from typing import IO

from warcio.archiveiterator import ArchiveIterator
from warcio.recordloader import ArcWarcRecord
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

# Bodies are stored decoded, so transfer/content encodings no longer describe them.
_DROPPED_HEADERS = {"content-encoding", "transfer-encoding", "content-length"}


@dataclass(frozen=True)
class StoredPage:
    """One stored response. `ref` is `<segment>#<offset>`, stable for the life of the store."""

    url: str
    status: int
    headers: dict[str, str]
    body: bytes
    fetched_at: str
    ref: str

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "")


@dataclass(frozen=True)
class IndexEntry:
    """One line of a segment's index."""

    url: str
    status: int
    offset: int
    fetched_at: str

    def to_json(self) -> str:
        return json.dumps(
            {"url": self.url, "status": self.status, "offset": self.offset, "fetched_at": self.fetched_at}
        )

    @staticmethod
    def from_json(line: str) -> IndexEntry:
        data = json.loads(line)
        return IndexEntry(data["url"], int(data["status"]), int(data["offset"]), data["fetched_at"])


class SegmentWriter:
    """Appends responses to an open WARC stream and its index stream, as they arrive."""

    def __init__(
        self,
        warc_stream: IO[bytes] | io.RawIOBase,
        index_stream: IO[str],
        checkpoint: Callable[[], None] | None = None,
    ) -> None:
        self._warc = warc_stream
        self._index = index_stream
        self._checkpoint = checkpoint  # what makes a flush survive this process (an S3 segment's tail)
        self._writer = WARCWriter(warc_stream, gzip=True)
        self.records = 0
        self.bytes = 0

    def write(
        self,
        url: str,
        status: int,
        reason: str,
        headers: list[tuple[str, str]],
        body: bytes,
        fetched_at: datetime | None = None,
    ) -> IndexEntry:
        """Write one response; returns its index entry (the offset is where its gzip member starts)."""
        fetched_at = fetched_at or datetime.now(UTC)
        kept = [(k, v) for k, v in headers if k.lower() not in _DROPPED_HEADERS]
        kept.append(("Content-Length", str(len(body))))
        http_headers = StatusAndHeaders(f"{status} {reason}".strip(), kept, protocol="HTTP/1.1")
        stamp = fetched_at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        record = self._writer.create_warc_record(
            url,
            "response",
            payload=BytesIO(body),
            http_headers=http_headers,
            warc_headers_dict={"WARC-Date": stamp},
        )
        offset = self._warc.tell()
        self._writer.write_record(record)
        entry = IndexEntry(url=url, status=status, offset=offset, fetched_at=stamp)
        self._index.write(entry.to_json() + "\n")
        self.records += 1
        self.bytes += len(body)
        return entry

    def flush(self) -> None:
        """Make what was written so far survive a kill of this process."""
        self._warc.flush()
        self._index.flush()
        if self._checkpoint is not None:
            self._checkpoint()


def _page_from_record(record: ArcWarcRecord, segment: str, offset: int) -> StoredPage:
    http = record.http_headers
    headers = {k.lower(): v for k, v in http.headers}
    return StoredPage(
        url=record.rec_headers.get_header("WARC-Target-URI"),
        status=int(http.get_statuscode()),
        headers=headers,
        body=record.content_stream().read(),
        fetched_at=record.rec_headers.get_header("WARC-Date"),
        ref=f"{segment}#{offset}",
    )


def iter_segment(stream: IO[bytes], segment: str, offsets: set[int]) -> Iterator[StoredPage]:
    """Yield the responses of a segment found at `offsets`, in file order.

    Stops once every wanted offset has been read, so a truncated tail after the last indexed record
    (a crawler killed mid-write) is never touched.
    """
    remaining = set(offsets)
    iterator = ArchiveIterator(stream)
    for record in iterator:
        if not remaining:
            return
        offset = iterator.offset
        if record.rec_type != "response" or offset not in remaining:
            continue
        remaining.discard(offset)
        yield _page_from_record(record, segment, offset)


def scan_index(stream: IO[bytes]) -> list[IndexEntry]:
    """Rebuild a segment's index by reading it (used when the sidecar index is missing)."""
    entries = []
    iterator = ArchiveIterator(stream)
    for record in iterator:
        if record.rec_type == "response":
            entries.append(
                IndexEntry(
                    url=record.rec_headers.get_header("WARC-Target-URI"),
                    status=int(record.http_headers.get_statuscode()),
                    offset=iterator.offset,
                    fetched_at=record.rec_headers.get_header("WARC-Date"),
                )
            )
    return entries
