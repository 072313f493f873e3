"""Serve the demo shop: `python -m scrape_assets.demo_site --port P --products N --seed S ...`.

Prints `listening on http://HOST:PORT` as its first line once it accepts connections.
"""

from __future__ import annotations

import asyncio
import signal
import sys

from aiohttp import web

from scrape_assets.demo_site.app import build_app
from scrape_assets.demo_site.knobs import build_parser, knobs_from_args


async def _serve(host: str, port: int, app: web.Application) -> None:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port, backlog=1024)
    await site.start()
    bound = runner.addresses[0]
    print(f"listening on http://{bound[0]}:{bound[1]}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await runner.cleanup()


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        knobs = knobs_from_args(args)
    except ValueError as exc:
        parser.error(str(exc))
    if not args.host.startswith("127.") and args.host not in ("localhost", "::1"):
        parser.error(f"--host {args.host}: the demo site only binds loopback addresses")
    asyncio.run(_serve(args.host, args.port, build_app(knobs)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
