"""`make dev`'s command: the Dagster UI serves the code location with the demo target, and stops cleanly."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from scrape_assets_tests.loopback import free_port
from scrape_assets_tests.processes import dev_command, stop

pytestmark = pytest.mark.e2e
REPO = Path(__file__).resolve().parent.parent


def _graphql(port: int, query: str) -> dict:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql",
        data=json.dumps({"query": query}).encode(),
        headers={"content-type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)


def test_dev_serves_the_demo_target_and_stops_everything_it_started(tmp_path):
    ui_port, site_port = free_port(), free_port()
    env = {**os.environ, "SCRAPE_ASSETS_DATA_DIR": str(tmp_path)}
    env.pop("DAGSTER_HOME", None)
    dev = subprocess.Popen(
        dev_command(ui_port, site_port, products=20),
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 300
        assets = None
        while time.monotonic() < deadline and assets is None:
            time.sleep(1)
            try:
                nodes = _graphql(ui_port, "{ assetNodes { assetKey { path } groupName } }")["data"]["assetNodes"]
                assets = {"/".join(n["assetKey"]["path"]) for n in nodes if n["groupName"] == "demo_shop"}
            except OSError:
                continue
        assert assets == {
            f"demo_shop/{name}"
            for name in (
                "url_frontier",
                "raw_pages",
                "parsed_records",
                "validated_records",
                "quarantined_records",
                "delivered_demo_shop",
            )
        }
        with urllib.request.urlopen(f"http://127.0.0.1:{site_port}/robots.txt", timeout=10) as response:
            assert response.status == 200
    finally:
        dev.send_signal(signal.SIGTERM)
        try:
            code = dev.wait(timeout=180)
        except subprocess.TimeoutExpired:  # it did not stop: stop it all, and fail
            stop(dev, grace_seconds=0, group=True)
            raise
    output = dev.stdout.read()
    assert code == 0, output
    for port in (ui_port, site_port):
        with socket.socket() as probe:
            assert probe.connect_ex(("127.0.0.1", port)) != 0, f"port {port} still served after stop"
