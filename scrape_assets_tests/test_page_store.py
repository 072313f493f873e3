"""The WARC page store: round trips, latest response per URL, and a crawler killed mid-write."""

from __future__ import annotations

import pytest

from scrape_assets.page_store import (
    Generation,
    LocalPageStore,
    close_generation,
    generation_segments,
    iter_latest_pages,
    latest_entries,
    open_generation,
    read_generation,
    shard_mark,
)
from scrape_assets.page_store.frontier import Frontier, read_frontier, write_frontier

PREFIX = "shop/2026-01-01"
HTML = [("Content-Type", "text/html; charset=utf-8")]


def test_latest_response_per_url_wins_across_retries_and_segments(tmp_path):
    store = LocalPageStore(tmp_path)
    with store.segment_writer(PREFIX, "20260101T000000-a") as writer:
        writer.write("http://x/1", 503, "Service Unavailable", HTML, b"busy")
        writer.write("http://x/1", 200, "OK", HTML, b"<p>one</p>")
        writer.write("http://x/2", 200, "OK", HTML + [("Content-Encoding", "gzip")], b"<p>two</p>")
    with store.segment_writer(PREFIX, "20260101T000001-b") as writer:
        writer.write("http://x/2", 200, "OK", HTML, b"<p>two again</p>")

    pages = {page.url: page for page in iter_latest_pages(store, PREFIX)}

    assert {url: page.body for url, page in pages.items()} == {
        "http://x/1": b"<p>one</p>",
        "http://x/2": b"<p>two again</p>",
    }
    assert pages["http://x/1"].status == 200
    assert pages["http://x/1"].ref.startswith(f"{PREFIX}/20260101T000000-a#")
    assert pages["http://x/1"].content_type == "text/html; charset=utf-8"
    assert len(latest_entries(store, PREFIX)) == 2


def test_stored_body_is_decoded_so_its_encoding_header_is_dropped(tmp_path):
    store = LocalPageStore(tmp_path)
    with store.segment_writer(PREFIX, "s") as writer:
        writer.write("http://x/2", 200, "OK", HTML + [("Content-Encoding", "gzip")], b"<p>two</p>")
    page = next(iter_latest_pages(store, PREFIX))
    assert "content-encoding" not in page.headers
    assert page.headers["content-length"] == "10"


def test_truncated_tail_of_a_killed_crawl_keeps_every_indexed_page(tmp_path):
    store = LocalPageStore(tmp_path)
    with store.segment_writer(PREFIX, "s") as writer:
        for n in range(5):
            writer.write(f"http://x/{n}", 200, "OK", HTML, b"<p>%d</p>" % n)
    segment = tmp_path / PREFIX / "s.warc.gz"
    data = segment.read_bytes()
    # a sixth record started but never finished, and never reached the index
    segment.write_bytes(data + data[:40])
    assert sorted(p.url for p in iter_latest_pages(store, PREFIX)) == [f"http://x/{n}" for n in range(5)]


def test_missing_index_is_rebuilt_by_scanning_the_segment(tmp_path):
    store = LocalPageStore(tmp_path)
    with store.segment_writer(PREFIX, "s") as writer:
        writer.write("http://x/1", 200, "OK", HTML, b"one")
    (tmp_path / PREFIX / "s.idx.jsonl").unlink()
    assert [p.body for p in iter_latest_pages(store, PREFIX)] == [b"one"]


def test_frontier_round_trip_and_missing_frontier_names_the_location(tmp_path):
    store = LocalPageStore(tmp_path)
    try:
        read_frontier(store, PREFIX)
    except FileNotFoundError as exc:
        assert str(tmp_path / PREFIX) in str(exc) and "url_frontier" in str(exc)
    else:
        raise AssertionError("reading a missing frontier must fail")
    write_frontier(store, PREFIX, Frontier(["http://x/c"], ["http://x/p/1", "http://x/p/2"], 0.5, 3))
    frontier = read_frontier(store, PREFIX)
    assert frontier.listings == ["http://x/c"] and frontier.records == ["http://x/p/1", "http://x/p/2"]
    assert frontier.crawl_delay == 0.5 and frontier.record_url_count == 2
    assert list(frontier.entries)[0] == {"url": "http://x/c", "kind": "listing"}


def test_a_damaged_frontier_line_is_named_with_its_file_and_line(tmp_path):
    store = LocalPageStore(tmp_path)
    write_frontier(store, PREFIX, Frontier([], ["http://x/p/1"], 0.0, 0))
    path = tmp_path / PREFIX / "frontier.jsonl"
    path.write_bytes(path.read_bytes() + b'{"url": "http://x/p/2", "kind": "produc')
    with pytest.raises(ValueError, match=r"frontier\.jsonl line 2: not a frontier entry"):
        read_frontier(store, PREFIX)


def _segment(store, name: str) -> None:
    with store.segment_writer(PREFIX, name) as writer:
        writer.write(f"http://x/{name}", 200, "OK", [], b"<html></html>")


def test_crawl_after_a_completed_one_starts_a_fresh_snapshot_and_after_a_failed_one_resumes(tmp_path):
    store = LocalPageStore(tmp_path)
    first, earlier = open_generation(store, PREFIX, "20261120T010000000000")
    assert (first, earlier) == (Generation([], complete=False, opened="20261120T010000000000"), [])
    _segment(store, "20261120T005959000000-pages-1of2-old-try0")  # before it opened: not its own
    _segment(store, "20261120T010001000000-frontier-run-try0")  # a frontier crawl's segment: not pages
    _segment(store, "20261120T010002000000-pages-1of2-run-try0")
    _segment(store, "20261120T010003000000-pages-2of2-run-try0")
    assert generation_segments(store, PREFIX, first) == [
        "20261120T010002000000-pages-1of2-run-try0",
        "20261120T010003000000-pages-2of2-run-try0",
    ]
    assert generation_segments(store, PREFIX, first, shard_mark(1, 2)) == ["20261120T010003000000-pages-2of2-run-try0"]

    # the crawl failed: the next attempt carries both shards' segments over and resumes them
    second, earlier = open_generation(store, PREFIX, "20261120T020000000000")
    assert (
        earlier
        == second.segments
        == ["20261120T010002000000-pages-1of2-run-try0", "20261120T010003000000-pages-2of2-run-try0"]
    )
    _segment(store, "20261120T020001000000-pages-1of1-run2-try0")
    closed = close_generation(store, PREFIX, second)
    assert closed.complete and closed.segments[-1] == "20261120T020001000000-pages-1of1-run2-try0"
    assert read_generation(store, PREFIX) == closed

    # after a completed crawl, a re-scrape starts a fresh snapshot
    third, earlier = open_generation(store, PREFIX, "20261120T030000000000")
    assert earlier == [] and third.segments == []
