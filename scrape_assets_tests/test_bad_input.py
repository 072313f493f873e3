"""Every kind of bad input from the target ends in a named, recorded outcome; nothing crashes the crawl."""

from __future__ import annotations

import json
import re

import pytest
from dagster import AssetKey

from scrape_assets.demo_site.catalog import Catalog
from scrape_assets_tests.results import failure_cause, materialization_metadata

pytestmark = pytest.mark.e2e
DAY = "2026-11-20"
PRODUCTS = 100
SHARES = {
    "reset_share": 0.1,
    "truncate_share": 0.1,
    "oversize_share": 0.06,
    "bad_charset_share": 0.1,
    "non_html_share": 0.06,
    "offsite_redirect_share": 0.06,
}


def _expected() -> dict[str, set[int]]:
    catalog = Catalog(PRODUCTS, 7)

    def picks(knob: str, ids: set[int]) -> set[int]:
        return {i for i in ids if catalog.is_dropped(knob, i, SHARES[knob])}

    every = set(range(1, PRODUCTS + 1))
    disallowed = {i for i in every if str(i).startswith("9")}
    requested = every - disallowed
    offsite = picks("offsite_redirect_share", requested)
    non_html = picks("non_html_share", requested - offsite)
    oversized = picks("oversize_share", requested - offsite - non_html)
    records = requested - offsite - non_html - oversized
    reset = picks("reset_share", requested)
    return {
        "disallowed": disallowed,
        "offsite": offsite,
        "non_html": non_html,
        "oversized": oversized,
        "records": records,
        "bad_charset": picks("bad_charset_share", records),
        "reset": reset,
        # a page reset on its first request is served whole on the second
        "truncated": picks("truncate_share", records - reset),
    }


def test_each_bad_input_knob_ends_in_a_named_recorded_outcome(pipeline, start_site):
    args = [f"--{knob.replace('_', '-')}={share}" for knob, share in SHARES.items()]
    site = start_site(PRODUCTS, *args, "--oversize-bytes", "300000", "--robots-disallow", "/product/9")
    pipeline.configure(
        politeness={"max_page_bytes": 100000, "max_tries": 3, "backoff_base_seconds": 0.1, "concurrency": 8},
        record={"min_row_share": 0.5},
    )
    expected = _expected()
    assert all(expected[kind] for kind in ("offsite", "non_html", "oversized", "bad_charset", "reset", "truncated"))

    result = pipeline.run_day(site, DAY)

    assert result.success
    frontier = materialization_metadata(result, "url_frontier")
    assert frontier["robots_disallowed"] == len(expected["disallowed"])
    raw = materialization_metadata(result, "raw_pages")
    assert raw["outcomes"] == {
        "oversized": len(expected["oversized"]),
        "offsite_redirect": len(expected["offsite"]),
        "robots_denied": len(expected["disallowed"]),
    }
    failures = json.loads(
        (pipeline.data_dir / "pages" / "demo_shop" / DAY / f"{raw['segments'][-1]}.failures.json").read_text()
    )
    assert {f["url"].rsplit("/", 1)[1] for f in failures if f["outcome"] == "oversized"} == {
        str(i) for i in expected["oversized"]
    }
    reasons = dict(raw["retries_by_reason"])
    assert reasons.pop("scrapy.exceptions.ResponseDataLossError") == len(expected["truncated"])
    # a reset on a pooled connection is retried by the HTTP client itself, otherwise by Scrapy;
    # either way the page is requested twice, then kept
    assert sum(reasons.values()) <= len(expected["reset"])
    requests = site.stats(with_paths=True)["by_path"]
    assert all(requests[f"/product/{i}"] == 2 for i in expected["reset"] - expected["offsite"])
    parsed = materialization_metadata(result, "parsed_records")
    assert parsed["records"] == len(expected["records"])
    assert parsed["charset_fallbacks"] == len(expected["bad_charset"])
    assert f"| not_html | {len(expected['non_html'])} |" in parsed["pages_skipped"]
    assert pipeline.query("SELECT count(*) FROM delivered_demo_shop")[0][0] == len(expected["records"])
    titles = dict(pipeline.query("SELECT source_url, title FROM delivered_demo_shop"))
    charset_page = f"{site.url}/product/{min(expected['bad_charset'])}"
    assert titles[charset_page] == Catalog(PRODUCTS, 7).product(min(expected["bad_charset"])).title


def test_slow_pages_time_out_as_a_named_outcome(pipeline, start_site):
    site = start_site(3, "--latency-ms", "1500")
    pipeline.configure(
        politeness={"timeout_seconds": 0.4, "max_tries": 2, "backoff_base_seconds": 0.1},
        breaker={"min_samples": 1000},  # let every request time out on its own
        run_policy={"crawl_step_retries": 0},
    )

    result = pipeline.run_day(site, DAY)

    failure = result.get_step_failure_events()[0]
    cause = failure.step_failure_data.error.cause
    assert (
        failure.step_key == "demo_shop__raw_pages.demo_shop__crawl_shard[1of1]"
        and cause.cls_name == "TargetUnreachable"
    )
    assert "no page answered" in cause.message and "took longer than 0.4 seconds" in cause.message
    folder = pipeline.data_dir / "pages" / "demo_shop" / DAY
    failures = json.loads(next(folder.glob("*-pages-*.failures.json")).read_text())
    assert {f["outcome"] for f in failures} == {"timeout"} and len(failures) >= 3
    assert all(f["tries"] == 2 for f in failures)


def test_a_gzip_bomb_sitemap_fails_the_frontier_by_name_without_expanding_it(pipeline, start_site):
    site = start_site(20, "--gzip-bomb-mib", "256")
    result = pipeline.run_day(site, DAY, selection=[AssetKey(["demo_shop", "url_frontier"])])

    assert not result.success
    step, cause = failure_cause(result)
    assert (step, cause.cls_name) == ("demo_shop__url_frontier", "FrontierIncomplete")
    assert (
        f"{site.url}/sitemaps/bomb.xml.gz (gzipped sitemap expands beyond politeness.max_page_bytes "
        "(5242880 bytes); not read)"
    ) in cause.message
    peak = float(re.search(r"crawler peak RSS ([0-9.]+) MiB", cause.message).group(1))
    assert peak < 200, f"the crawler grew to {peak} MiB: the 256 MiB body was expanded"
    assert site.stats()["by_class"]["sitemap"] >= 2  # the index and the bomb were fetched


def test_a_gzipped_child_sitemap_is_read_like_any_other(pipeline, start_site):
    site = start_site(2500, "--gzip-last-sitemap")  # three product sitemaps, the last one .xml.gz
    result = pipeline.run_day(site, DAY, selection=[AssetKey(["demo_shop", "url_frontier"])])

    assert result.success
    assert materialization_metadata(result, "url_frontier")["record_urls"] == 2500
    served = site.stats(with_paths=True)["by_path"]
    assert served.get("/sitemaps/products-3.xml.gz") == 1 and "/sitemaps/products-3.xml" not in served
