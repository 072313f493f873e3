"""A crawler opens no control port: neither Scrapy's telnet console nor its remote-control HTTP server
(on by default since Scrapy 2.19), which would run code sent to it inside a process that holds the
target's secrets. Driven through Dagster: both crawls of a day, the frontier's and a shard's."""

from __future__ import annotations

import pytest
from dagster import AssetKey

pytestmark = pytest.mark.e2e

DAY = "2026-11-20"
CRAWLS = [AssetKey(["demo_shop", "url_frontier"]), AssetKey(["demo_shop", "raw_pages"])]


def test_the_crawls_of_a_day_start_no_telnet_console_and_no_remote_control_server(
    pipeline, start_site, capfd, tmp_path, monkeypatch
):
    # where the remote-control server would write its token: under this test's own folders
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    site = start_site(20)

    result = pipeline.run_day(site, DAY, selection=CRAWLS)

    assert result.success
    crawler_log = capfd.readouterr().err
    # the crawlers' Scrapy log reached this process (a positive control for what follows), twice
    assert crawler_log.count("[scrapy.middleware] INFO: Enabled extensions:") == 2, crawler_log[-3000:]
    assert "RemoteControl" not in crawler_log and "Remote control HTTP server" not in crawler_log
    assert "TelnetConsole" not in crawler_log and "Telnet console listening" not in crawler_log
    assert not list(tmp_path.glob("**/job_files/*"))
