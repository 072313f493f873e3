"""The demo site: deterministic catalog, knobs validated, pages served and counted."""

from __future__ import annotations

import sys
import urllib.error
import urllib.request

import pytest

from scrape_assets.demo_site.catalog import Catalog
from scrape_assets.demo_site.knobs import SiteKnobs
from scrape_assets.demo_site.process import DemoSite


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=120) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, ""


def test_catalog_is_deterministic_and_independent_of_size():
    assert Catalog(10, 7).product(5) == Catalog(5000, 7).product(5)
    assert Catalog(10, 7).product(5) != Catalog(10, 8).product(5)
    assert Catalog(10, 7).product(11) is None


def test_drop_share_is_close_to_the_requested_share():
    catalog = Catalog(5000, 7)
    dropped = sum(catalog.is_dropped("price", i, 0.4) for i in range(1, 5001))
    assert 0.37 < dropped / 5000 < 0.43


@pytest.mark.parametrize(
    ("knobs", "named"),
    [
        ({"layout": "v3"}, "--layout"),
        ({"products": 0}, "--products"),
        ({"drop_fields": {"colour": 0.1}}, "colour"),
        ({"drop_fields": {"price": 1.5}}, "--drop-field price"),
        ({"reset_share": 1.5}, "--reset-share"),
        ({"error_rate": -0.1}, "--error-rate"),
        ({"latency_ms": -1}, "--latency-ms"),
    ],
)
def test_bad_knobs_are_refused_with_the_knob_named(knobs, named):
    with pytest.raises(ValueError, match=named):
        SiteKnobs(**knobs)


def test_site_serves_robots_sitemaps_listings_products_and_counts_them():
    with DemoSite(products=60, extra_args=["--crawl-delay", "0.25"]) as site:
        status, robots = _get(f"{site.url}/robots.txt")
        assert status == 200 and "Crawl-delay: 0.25" in robots and f"Sitemap: {site.url}/sitemap.xml" in robots
        assert "/sitemaps/products-1.xml" in _get(f"{site.url}/sitemap.xml")[1]
        assert _get(f"{site.url}/sitemaps/products-1.xml")[1].count("<url>") == 60
        listing = _get(f"{site.url}/category/kitchen?page=1")[1]
        assert 'class="product-card"' in listing
        assert _get(f"{site.url}/product/61")[0] == 404
        assert _get(f"{site.url}/category/kitchen?page=99")[0] == 404
        stats = site.stats(with_paths=True)
        assert stats["by_class"] == {"robots": 1, "sitemap": 2, "listing": 2, "product": 1}
        assert stats["by_status"] == {"200": 4, "404": 2}
        assert stats["by_path"]["/product/61"] == 1
        site.reset_stats()
        assert site.stats()["total"] == 0


def test_site_refuses_a_non_loopback_host():
    site = DemoSite(products=5, extra_args=["--host", "0.0.0.0"])
    with pytest.raises(RuntimeError, match="only binds loopback"):
        site.start()


def test_started_site_used_as_context_manager_is_one_process_stopped_on_exit():
    site = DemoSite(products=5).start()
    with site as same:
        assert same is site
        process = site.process
    assert process.poll() is not None
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(f"{site.url}/robots.txt", timeout=2)


def test_held_product_requests_are_answered_once_released_and_counted_only_when_served(start_site):
    import socket
    import threading
    import time

    site = start_site(5, "--hold-after-pages", "1")
    assert _get(f"{site.url}/product/1")[0] == 200  # the first one goes through
    answered: list[int] = []
    waiter = threading.Thread(target=lambda: answered.append(_get(f"{site.url}/product/2")[0]))
    waiter.start()
    deadline = time.monotonic() + 60
    while site.stats()["held"] != 1:
        assert time.monotonic() < deadline, "the second product request was not held"
        time.sleep(0.05)
    # a client that gives up while held: nothing was served, so nothing is counted
    host, port = site.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port))) as gone:
        gone.sendall(b"GET /product/3 HTTP/1.1\r\nHost: x\r\n\r\n")
        while site.stats()["held"] != 2:
            assert time.monotonic() < deadline, "the third product request was not held"
            time.sleep(0.05)
    assert answered == [] and site.stats()["by_class"]["product"] == 1

    site.release()
    waiter.join(timeout=60)
    assert answered == [200]
    paths = site.stats(with_paths=True)["by_path"]
    assert paths.get("/product/2") == 1 and "/product/3" not in paths
    assert _get(f"{site.url}/product/4")[0] == 200  # released for good


def test_a_site_that_cannot_start_is_named_with_its_error():
    with pytest.raises(RuntimeError, match="(?s)demo site did not start .*--products many.*invalid int value"):
        DemoSite(extra_args=("--products", "many")).start()


def test_a_site_that_never_says_where_it_listens_is_stopped_and_named():
    site = DemoSite(startup_timeout=1)
    site.args = [sys.executable, "-c", "import time; time.sleep(600)"]  # alive, and silent
    with pytest.raises(RuntimeError, match="no address within 1 s"):
        site.start()
    assert site.process is not None and site.process.poll() is not None
