"""A day's shards: which shard crawls a record page, and the one way a shard is written (`2of3`) in
step keys, segment names, pod labels and crawl summaries."""

from __future__ import annotations

import zlib


def shard_of(record_url: str, count: int) -> int:
    """Which of `count` shards (0-based) crawls a frontier record page: spread by a stable hash of its
    URL. Listing pages, and what they lead to beyond the frontier, all go to shard 0."""
    if count == 1:
        return 0
    return zlib.crc32(record_url.encode()) % count


def shard_label(index: int, count: int) -> str:
    """`2of3` for the second of three shards (`index` 1): a valid Dagster mapping key, Kubernetes
    label value and file-name part."""
    return f"{index + 1}of{count}"
