"""Start the demo site as a child process on a free loopback port, and stop exactly that process."""

from __future__ import annotations

import json
import select
import subprocess
import sys
import urllib.request
from collections.abc import Sequence


class DemoSite:
    """A running demo site. Use as a context manager; `url` is its base URL."""

    def __init__(
        self,
        products: int = 2000,
        seed: int = 7,
        extra_args: Sequence[str] = (),
        port: int = 0,
        startup_timeout: float = 300.0,
    ):
        self.args = [
            sys.executable,
            "-m",
            "scrape_assets.demo_site",
            "--port",
            str(port),
            "--products",
            str(products),
            "--seed",
            str(seed),
            *extra_args,
        ]
        self.startup_timeout = startup_timeout
        self.process: subprocess.Popen[str] | None = None
        self.url = ""

    def start(self) -> DemoSite:
        """Start the site and wait, up to `startup_timeout` seconds (it builds its catalog first), for
        the line that says where it listens; a site that exits or stays silent is stopped and named."""
        self.process = subprocess.Popen(self.args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        stdout, stderr = self.process.stdout, self.process.stderr
        if stdout is None or stderr is None:
            raise RuntimeError("the demo site's output is not piped")
        ready, _, _ = select.select([stdout], [], [], self.startup_timeout)
        line = stdout.readline() if ready else ""
        if not line.startswith("listening on "):
            if self.process.poll() is None:
                self.process.kill()
            self.process.wait()
            why = stderr.read().strip() or f"no address within {self.startup_timeout:.0f} s"
            self.stop()
            raise RuntimeError(f"demo site did not start ({' '.join(self.args)}): {why}")
        self.url = line.split("listening on ", 1)[1].strip()
        return self

    def stats(self, with_paths: bool = False, with_times: bool = False) -> dict:
        """The site's request counters (`/__stats`); `times` lists (seconds, class, status, path) per request."""
        query = "?" + "&".join(q for q, on in (("paths=1", with_paths), ("times=1", with_times)) if on)
        with urllib.request.urlopen(f"{self.url}/__stats{query}", timeout=60) as response:
            return json.load(response)

    def reset_stats(self) -> None:
        request = urllib.request.Request(f"{self.url}/__stats/reset", method="POST")
        with urllib.request.urlopen(request, timeout=60):
            pass

    def release(self) -> None:
        """Answer the product requests held by `--hold-after-pages`, and every later one."""
        request = urllib.request.Request(f"{self.url}/__stats/release", method="POST")
        with urllib.request.urlopen(request, timeout=60):
            pass

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process is not None:
            for stream in (self.process.stdout, self.process.stderr):
                if stream is not None:
                    stream.close()

    def __enter__(self) -> DemoSite:
        return self if self.process is not None else self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
