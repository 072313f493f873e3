"""A minimal HTTP forward proxy for tests: `python -m scrape_assets_tests.forward_proxy --port P [--die-after N]`.

Forwards plain-HTTP requests in absolute form to loopback origins and relays the answer. With
`--die-after N` the process exits after N requests, like a proxy that dies mid-crawl. With
`--require-auth USER:PASSWORD` a request without those Basic credentials gets 407. Prints
`listening on http://127.0.0.1:PORT` once ready.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import os
import signal
import sys
from urllib.parse import urlsplit

served = 0


async def _relay(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, die_after: int, credentials: str) -> None:
    global served
    try:
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        method, target, _ = lines[0].split(" ", 2)
        if credentials:
            expected = "proxy-authorization: basic " + base64.b64encode(credentials.encode()).decode().lower()
            if expected not in (line.lower() for line in lines[1:]):
                writer.write(
                    b"HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                )
                return
        headers = [line for line in lines[1:] if line and not line.lower().startswith(("proxy-", "connection"))]
        length = next((int(h.split(":", 1)[1]) for h in headers if h.lower().startswith("content-length")), 0)
        body = await reader.readexactly(length) if length else b""
        url = urlsplit(target)
        if url.hostname not in ("127.0.0.1", "localhost"):
            writer.write(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            return
        up_reader, up_writer = await asyncio.open_connection(url.hostname, url.port or 80)
        path = url.path + (f"?{url.query}" if url.query else "")
        request = f"{method} {path or '/'} HTTP/1.1\r\n" + "\r\n".join(headers) + "\r\nConnection: close\r\n\r\n"
        up_writer.write(request.encode("latin-1") + body)
        await up_writer.drain()
        writer.write(await up_reader.read())
        up_writer.close()
        await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError, ValueError):
        pass
    finally:
        writer.close()
        served += 1
        if die_after and served >= die_after:
            os._exit(0)


async def _main(port: int, die_after: int, credentials: str) -> None:
    server = await asyncio.start_server(lambda r, w: _relay(r, w, die_after, credentials), "127.0.0.1", port)
    print(f"listening on http://127.0.0.1:{server.sockets[0].getsockname()[1]}", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--die-after", type=int, default=0)
    parser.add_argument("--require-auth", default="", metavar="USER:PASSWORD")
    args = parser.parse_args()
    # a SIGTERM ignored by whatever started the test run would be inherited: the fixture's stop must work
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    asyncio.run(_main(args.port, args.die_after, args.require_auth))
    sys.exit(0)
