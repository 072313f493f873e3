"""`make dev`: the Dagster UI with the demo site running, on embedded defaults.

Starts the demo site on 127.0.0.1:8765 (the port `demo_shop.yaml` defaults to), then `dagster dev`
on 127.0.0.1:PORT against `workspace.yaml`, sharing `data/` (and the runs of `make demo`). Ctrl-C
stops both.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
from pathlib import Path

from scrape_assets.demo_site.process import DemoSite
from scrape_assets.local_instance import local_home, prepare_local_instance


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scrape_assets.dev", description=__doc__)
    parser.add_argument("--port", type=int, default=3000, help="Dagster UI port")
    parser.add_argument("--site-port", type=int, default=8765, help="demo site port")
    parser.add_argument("--products", type=int, default=2000, help="demo site catalog size")
    args = parser.parse_args(argv)
    # Started in the background by a shell, we inherit SIGINT ignored, and so would `dagster dev`, which
    # stops only on SIGINT. Restore it: a handled signal is reset to default in the child at exec.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    data = Path(os.environ.setdefault("SCRAPE_ASSETS_DATA_DIR", "data")).resolve()
    prepare_local_instance(local_home(data)).dispose()  # created before any run starts
    with DemoSite(products=args.products, port=args.site_port) as site:
        os.environ["DEMO_SHOP_URL"] = site.url
        print(f"demo site: {site.url}; Dagster UI: http://127.0.0.1:{args.port}", flush=True)
        dagster = Path(sys.executable).with_name("dagster")
        command = [str(dagster), "dev", "-h", "127.0.0.1", "-p", str(args.port), "-w", "workspace.yaml"]
        server = subprocess.Popen(command)
        # Stop dagster dev the way it expects (SIGINT) on Ctrl-C or SIGTERM, then the site.
        signal.signal(signal.SIGTERM, lambda *_: server.send_signal(signal.SIGINT))
        try:
            return server.wait()
        except KeyboardInterrupt:
            server.send_signal(signal.SIGINT)
            try:
                return server.wait(timeout=60)
            except subprocess.TimeoutExpired:
                server.kill()
                return server.wait()


if __name__ == "__main__":
    sys.exit(main())
