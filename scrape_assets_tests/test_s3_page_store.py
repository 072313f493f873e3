"""The page store on an S3 API (moto's server over HTTP, through boto3): multipart streaming, a day
crawled into S3 by the crawler process, and the day replayed from S3 alone."""

from __future__ import annotations

import os
import shutil

import boto3
import pytest
from dagster import AssetKey

from scrape_assets.page_store import iter_latest_pages
from scrape_assets.page_store.s3 import MIN_PART_SIZE, MultipartUploadStream, S3PageStore
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
    client = _client(s3_server)
    monkeypatch.setenv("SCRAPE_ASSETS_PAGE_STORE", "s3")
    monkeypatch.setenv("SCRAPE_ASSETS_S3_BUCKET", BUCKET)
    monkeypatch.setenv("SCRAPE_ASSETS_S3_ENDPOINT_URL", s3_server)
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
