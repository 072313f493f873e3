"""Proxy pool health: round robin, benching, return from the bench, redaction."""

from __future__ import annotations

from scrape_assets.crawler.policies.proxy_rotation import ProxyRotation, redact


def test_round_robin_skips_benched_proxies_until_they_return():
    pool = ProxyRotation(["http://a:1", "http://b:2", "http://c:3"], bench_seconds=10)
    assert [pool.pick(0) for _ in range(3)] == ["http://a:1", "http://b:2", "http://c:3"]
    assert pool.failed("http://b:2", now=0) == 10
    assert [pool.pick(1) for _ in range(4)] == ["http://a:1", "http://c:3", "http://a:1", "http://c:3"]
    assert "http://b:2" in [pool.pick(11) for _ in range(3)]


def test_consecutive_failures_double_the_bench_and_success_resets():
    pool = ProxyRotation(["http://a:1"], bench_seconds=5)
    assert [pool.failed("http://a:1", now=0) for _ in range(3)] == [5, 10, 20]
    pool.succeeded("http://a:1")
    assert pool.failed("http://a:1", now=0) == 5


def test_exhausted_pool_says_when_one_returns():
    pool = ProxyRotation(["http://a:1", "http://b:2"], bench_seconds=5)
    pool.failed("http://a:1", now=0)
    pool.failed("http://b:2", now=2)
    assert pool.pick(3) is None and pool.seconds_until_one_returns(3) == 2


def test_reports_never_carry_credentials():
    assert redact("http://user:secret@10.0.0.1:8080") == "10.0.0.1:8080"
    pool = ProxyRotation(["http://user:secret@proxy:3128"], bench_seconds=5)
    assert "secret" not in str(pool.report())
