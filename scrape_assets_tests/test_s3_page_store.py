"""The page store on an S3 API (moto's server over HTTP, through boto3): multipart streaming, a day
crawled into S3 by the crawler process, and the day replayed from S3 alone."""

from __future__ import annotations

import io
import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import boto3
import pytest
from dagster import AssetKey

from scrape_assets.page_store import iter_latest_pages
from scrape_assets.page_store.s3 import MIN_PART_SIZE, TAIL_SUFFIX, MultipartUploadStream, S3PageStore
from scrape_assets.page_store.warc import scan_index
from scrape_assets_tests.processes import pipes_extras
from scrape_assets_tests.results import materialization_metadata

DAY = "2026-11-20"
BUCKET = "scraped-pages"


def _client(endpoint: str):
    client = boto3.client("s3", endpoint_url=endpoint)
    client.create_bucket(Bucket=BUCKET)
    return client


def test_a_segment_streams_in_parts_and_reads_back(s3_server):
    client = _client(s3_server)
    store = S3PageStore(BUCKET, "pages", endpoint_url=s3_server, part_size=MIN_PART_SIZE)
    bodies = [os.urandom(300_000) for _ in range(40)]  # 12 MB of incompressible bodies: three parts
    with store.segment_writer("demo_shop/2026-11-20", "seg1") as writer:
        for i, body in enumerate(bodies):
            writer.write(f"http://shop/product/{i}", 200, "OK", [("Content-Type", "application/octet-stream")], body)
        assert writer._warc.parts_uploaded >= 2  # parts left while the crawl was still writing
    head = client.head_object(Bucket=BUCKET, Key="pages/demo_shop/2026-11-20/seg1.warc.gz")
    assert head["ETag"].strip('"').endswith("-3")
    assert store.segments("demo_shop/2026-11-20") == ["seg1"]
    pages = list(iter_latest_pages(store, "demo_shop/2026-11-20"))
    assert [p.body for p in sorted(pages, key=lambda p: int(p.url.rsplit("/", 1)[1]))] == bodies


def test_part_size_below_the_s3_minimum_is_refused(s3_server):
    client = _client(s3_server)
    with pytest.raises(ValueError, match="below S3's minimum part size"):
        MultipartUploadStream(client, BUCKET, "x", part_size=1024)


def test_an_error_mid_segment_keeps_what_was_written(s3_server):
    _client(s3_server)
    store = S3PageStore(BUCKET, "pages", endpoint_url=s3_server)
    with pytest.raises(RuntimeError, match="crawler died"):
        with store.segment_writer("t/d", "seg") as writer:
            writer.write("http://shop/a", 200, "OK", [], b"<html>a</html>")
            raise RuntimeError("crawler died")
    assert [entry.url for entry in store.read_index("t/d", "seg")] == ["http://shop/a"]


@pytest.mark.e2e
def test_a_day_crawled_into_s3_and_replayed_from_s3_alone(pipeline, start_site, s3_server, monkeypatch):
    client = _use_s3(monkeypatch, s3_server)
    site = start_site(90)
    first = pipeline.run_day(site, DAY)

    assert first.success
    keys = [o["Key"] for o in client.list_objects_v2(Bucket=BUCKET, Prefix=f"pages/demo_shop/{DAY}/")["Contents"]]
    assert any(k.endswith(".warc.gz") for k in keys) and f"pages/demo_shop/{DAY}/generation.json" in keys
    assert f"pages/demo_shop/{DAY}/frontier.jsonl" in keys
    assert not (pipeline.data_dir / "pages").exists()  # nothing went to local disk
    raw = materialization_metadata(first, "raw_pages")
    assert raw["location"] == f"s3://{BUCKET}/pages/demo_shop/{DAY}"
    assert all(segment in str(keys) for segment in raw["segments"])

    # the site is gone and the local records too: the day is rebuilt from S3 only
    site.stop()
    shutil.rmtree(pipeline.data_dir / "records")
    downstream = [
        AssetKey(["demo_shop", n])
        for n in ("parsed_records", "validated_records", "quarantined_records", "delivered_demo_shop")
    ]
    replay = pipeline.run_day(site, DAY, selection=downstream)

    assert replay.success
    assert materialization_metadata(replay, "parsed_records")["records"] == 90
    assert pipeline.query("SELECT count(*), count(DISTINCT sku) FROM delivered_demo_shop") == [(90, 90)]


DYING_WRITER = """
import os, random, sys
from scrape_assets.page_store.s3 import MIN_PART_SIZE, S3PageStore
store = S3PageStore(sys.argv[2], "pages", endpoint_url=sys.argv[1], part_size=MIN_PART_SIZE)
context = store.segment_writer("demo_shop/2026-11-20", "20261120T000000-pages-1of1-aaaa-try0")
writer = context.__enter__()  # the context is kept: it closes the upload only when it is left
for i in range(25):  # 7.5 MB: one finished part and a tail
    writer.write(f"http://shop/product/{i}", 200, "OK", [], random.Random(i).randbytes(300_000))
writer.flush()
writer.write("http://shop/product/lost", 200, "OK", [], b"after the last flush")
assert writer._warc.parts_uploaded == 1
os._exit(0)  # killed: no close, no complete, no cleanup of any kind
"""


def test_a_writer_that_dies_after_finished_parts_is_recovered_with_everything_it_flushed(s3_server):
    """Parts finished, then the tail flushed, then the process dies: the next try completes the upload
    with both, and the index is rebuilt. The record written after the last flush is lost."""
    client = _client(s3_server)
    died = subprocess.run([sys.executable, "-c", DYING_WRITER, s3_server, BUCKET], capture_output=True, text=True)
    assert died.returncode == 0, died.stderr
    store = S3PageStore(BUCKET, "pages", endpoint_url=s3_server, part_size=MIN_PART_SIZE)
    prefix = "demo_shop/2026-11-20"
    assert store.segments(prefix) == []  # S3 shows nothing of an incomplete upload

    assert store.recover(prefix, "-pages-1of1-") == ["20261120T000000-pages-1of1-aaaa-try0"]

    assert store.segments(prefix) == ["20261120T000000-pages-1of1-aaaa-try0"]
    pages = sorted(iter_latest_pages(store, prefix), key=lambda p: p.url)
    assert [p.url for p in pages] == sorted(f"http://shop/product/{i}" for i in range(25))
    assert {p.url: p.body for p in pages}["http://shop/product/7"] == random.Random(7).randbytes(300_000)
    assert client.list_multipart_uploads(Bucket=BUCKET).get("Uploads", []) == []
    keys = [o["Key"] for o in client.list_objects_v2(Bucket=BUCKET)["Contents"]]
    assert not [key for key in keys if key.endswith(TAIL_SUFFIX)]


def _s3_crawler_pids(endpoint: str) -> list[int]:
    """Page crawlers writing to this S3 endpoint (their Pipes extras name it)."""
    pids = [int(entry.name) for entry in Path("/proc").iterdir() if entry.name.isdigit()]
    return [
        pid
        for pid, extras in ((pid, pipes_extras(pid)) for pid in pids)
        if extras and extras.get("mode") == "pages" and extras.get("page_store", {}).get("endpoint_url") == endpoint
    ]


def _use_s3(monkeypatch: pytest.MonkeyPatch, endpoint: str):
    """The code location pointed at the S3 page store on `endpoint`; returns a client of its bucket."""
    monkeypatch.setenv("SCRAPE_ASSETS_PAGE_STORE", "s3")
    monkeypatch.setenv("SCRAPE_ASSETS_S3_BUCKET", BUCKET)
    monkeypatch.setenv("SCRAPE_ASSETS_S3_ENDPOINT_URL", endpoint)
    return _client(endpoint)


@pytest.mark.e2e
def test_a_crawler_killed_while_writing_to_s3_loses_no_flushed_page(pipeline, start_site, s3_server, monkeypatch):
    client = _use_s3(monkeypatch, s3_server)
    site = start_site(60, "--latency-ms", "100")
    pipeline.configure(run_policy={"crawl_step_retries": 0}, politeness={"concurrency": 2})
    folder = f"pages/demo_shop/{DAY}/"

    def tail_records() -> list[str]:
        listed = client.list_objects_v2(Bucket=BUCKET, Prefix=folder).get("Contents", [])
        tails = [o["Key"] for o in listed if o["Key"].endswith(TAIL_SUFFIX) and "-pages-" in o["Key"]]
        if not tails:
            return []
        body = client.get_object(Bucket=BUCKET, Key=tails[0])["Body"].read()
        return [entry.url for entry in scan_index(io.BytesIO(body))]

    killed: list[str] = []

    def kill_once_pages_are_flushed() -> None:  # an event of the crawl (pages in the tail), never a time
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline and not killed:
            flushed = tail_records()
            pids = _s3_crawler_pids(s3_server)
            if pids and sum("/product/" in url for url in flushed) >= 10:
                for pid in pids:
                    os.kill(pid, signal.SIGKILL)
                killed.extend(tail_records())
            time.sleep(0.05)

    killer = threading.Thread(target=kill_once_pages_are_flushed, daemon=True)
    killer.start()
    first = pipeline.run_day(site, DAY)
    killer.join(timeout=300)

    assert not first.success and killed
    assert client.list_multipart_uploads(Bucket=BUCKET, Prefix=folder).get("Uploads")  # left by the killed crawler

    resumed = pipeline.run_day(site, DAY)

    assert resumed.success
    paths = site.stats(with_paths=True)["by_path"]
    flushed_products = [url.split(site.url, 1)[1] for url in killed if "/product/" in url]
    assert flushed_products and all(paths[path] == 1 for path in flushed_products)  # kept, not fetched again
    assert client.list_multipart_uploads(Bucket=BUCKET, Prefix=folder).get("Uploads", []) == []
    listed = [o["Key"] for o in client.list_objects_v2(Bucket=BUCKET, Prefix=folder)["Contents"]]
    assert not [key for key in listed if key.endswith(TAIL_SUFFIX)]
    assert pipeline.query("SELECT count(DISTINCT sku) FROM delivered_demo_shop") == [(60,)]
