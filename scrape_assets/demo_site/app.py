"""The demo shop as an aiohttp application, with request counters at `/__stats`."""

from __future__ import annotations

import functools
import gzip
import time
from collections import Counter, deque

from aiohttp import web
from aiohttp.typedefs import Handler

from scrape_assets.demo_site import books, pages
from scrape_assets.demo_site.catalog import Catalog
from scrape_assets.demo_site.chaos import Chaos, NotServed
from scrape_assets.demo_site.knobs import SiteKnobs

STATS_PATH = "/__stats"
PAGE_CLASSES = ("home", "listing", "product", "books")
TIMES_KEPT = 50_000
BOMB_PATH = "/sitemaps/bomb.xml.gz"


def path_class(path: str) -> str:
    """Which kind of page a path is, for counting: robots, sitemap, listing, product, home or other."""
    if path == "/robots.txt":
        return "robots"
    if path == "/sitemap.xml" or path.startswith("/sitemaps/"):
        return "sitemap"
    if path.startswith("/category/"):
        return "listing"
    if path.startswith("/product/"):
        return "product"
    if path == "/books":
        return "books"
    if path == "/":
        return "home"
    return "other"


class RequestStats:
    """Counts of served requests by path class, by status and by path."""

    def __init__(self) -> None:
        self.by_class: Counter[str] = Counter()
        self.by_status: Counter[str] = Counter()
        self.by_path: Counter[str] = Counter()
        self.by_path_status: Counter[str] = Counter()
        self.times: deque[tuple[float, str, int, str]] = deque(maxlen=TIMES_KEPT)
        self.started = time.time()

    def record(self, path_qs: str, path: str, status: int, arrived: float) -> None:
        kind = path_class(path)
        self.by_class[kind] += 1
        self.by_status[str(status)] += 1
        self.by_path[path_qs] += 1
        self.by_path_status[f"{path_qs} {status}"] += 1
        self.times.append((round(arrived - self.started, 6), kind, status, path_qs))

    def snapshot(self, with_paths: bool, with_times: bool) -> dict[str, object]:
        body: dict[str, object] = {
            "total": sum(self.by_class.values()),
            "by_class": dict(self.by_class),
            "by_status": dict(self.by_status),
        }
        if with_paths:
            body["by_path"] = dict(self.by_path)
            body["by_path_status"] = dict(self.by_path_status)
        if with_times:
            body["times"] = list(self.times)
        return body

    def reset(self) -> None:
        self.__init__()  # type: ignore[misc]


async def _moved(location: str) -> web.Response:
    raise web.HTTPMovedPermanently(location)


def build_app(knobs: SiteKnobs) -> web.Application:
    """The aiohttp application serving the shop described by `knobs`."""
    catalog = Catalog(knobs.products, knobs.seed)
    stats = RequestStats()
    chaos = Chaos(knobs, catalog)
    bomb = functools.cache(lambda: pages.gzip_bomb(knobs.gzip_bomb_mib))

    def base(request: web.Request) -> str:
        return f"{request.scheme}://{request.host}"

    @web.middleware
    async def count_requests(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path.startswith(STATS_PATH):
            return await handler(request)
        arrived = time.time()
        try:
            response = None
            if path_class(request.path) in PAGE_CLASSES:
                response = await chaos.page_gate(request)
            if response is None:
                response = await handler(request)
        except NotServed:
            return web.Response(status=499)  # the client is gone: nothing to count, nobody to answer
        except web.HTTPException as exc:
            stats.record(request.path_qs, request.path, exc.status, arrived)
            raise
        stats.record(request.path_qs, request.path, response.status, arrived)
        return response

    def html(text: str) -> web.Response:
        return web.Response(text=text, content_type="text/html", charset="utf-8")

    def xml(text: str) -> web.Response:
        return web.Response(text=text, content_type="application/xml", charset="utf-8")

    robots_served = 0

    async def robots(request: web.Request) -> web.Response:
        nonlocal robots_served
        if 0 <= knobs.robots_fail_after <= robots_served:
            return web.Response(status=knobs.robots_fail_status, text="robots.txt is not available right now")
        robots_served += 1
        text = pages.robots_txt(base(request), knobs.crawl_delay, knobs.robots_disallow, sitemap=not knobs.no_sitemap)
        return web.Response(text=text, content_type="text/plain")

    async def sitemap_index(request: web.Request) -> web.Response:
        if knobs.no_sitemap:
            raise web.HTTPNotFound()
        extra = (BOMB_PATH,) if knobs.gzip_bomb_mib else ()
        return xml(pages.sitemap_index(base(request), catalog, extra, gzip_last=knobs.gzip_last_sitemap))

    async def child_sitemap(request: web.Request) -> web.Response:
        name = request.match_info["name"]
        if knobs.no_sitemap:
            raise web.HTTPNotFound()
        if name == "categories":
            return xml(pages.category_sitemap(base(request)))
        if name.startswith("products-") and name[9:].isdigit():
            body = pages.product_sitemap(base(request), catalog, int(name[9:]))
            if body is not None:
                return xml(body)
        raise web.HTTPNotFound()

    async def gzipped_sitemap(request: web.Request) -> web.Response:
        name = request.match_info["name"]
        last = f"products-{catalog.sitemap_chunks()}"
        if not knobs.gzip_last_sitemap or knobs.no_sitemap or name != last:
            raise web.HTTPNotFound()
        body = pages.product_sitemap(base(request), catalog, catalog.sitemap_chunks()) or ""
        return web.Response(body=gzip.compress(body.encode()), content_type="application/gzip")

    async def gzip_bomb(request: web.Request) -> web.Response:
        if not knobs.gzip_bomb_mib:
            raise web.HTTPNotFound()
        return web.Response(body=bomb(), content_type="application/gzip")

    async def home(request: web.Request) -> web.Response:
        return html(pages.home_page())

    async def listing(request: web.Request) -> web.Response:
        category = request.match_info["category"]
        page_text = request.query.get("page", "1")
        found = catalog.listing(category, int(page_text)) if page_text.isdigit() else None
        if found is None:
            raise web.HTTPNotFound()
        ids, page_count = found
        return html(pages.listing_page(catalog, category, int(page_text), ids, page_count))

    async def product(request: web.Request) -> web.StreamResponse:
        product_id = request.match_info["product_id"]
        found = catalog.product(int(product_id)) if product_id.isdigit() else None
        if found is None:
            raise web.HTTPNotFound()
        await chaos.hold(request)
        replaced = await chaos.product_gate(request, found.id)
        if replaced is not None:
            return replaced
        omitted = {name for name, share in knobs.drop_fields.items() if catalog.is_dropped(name, found.id, share)}
        body = pages.product_page(found, knobs.layout, omitted, knobs.price_format)
        return await chaos.shape_product(request, found.id, body)

    async def books_listing(request: web.Request) -> web.Response:
        page_text = request.query.get("page", "1")
        body = books.books_page(catalog, int(page_text)) if page_text.isdigit() else None
        if body is None:
            raise web.HTTPNotFound()
        return html(body)

    async def get_stats(request: web.Request) -> web.Response:
        body = stats.snapshot(
            with_paths=request.query.get("paths") == "1", with_times=request.query.get("times") == "1"
        )
        return web.json_response({**body, "held": chaos.held})

    async def release(request: web.Request) -> web.Response:
        chaos.release()
        return web.json_response({"released": True})

    async def reset_stats(request: web.Request) -> web.Response:
        stats.reset()
        return web.json_response({"reset": True})

    app = web.Application(middlewares=[count_requests])
    app.router.add_get("/robots.txt", robots)
    app.router.add_get("/sitemap.xml", sitemap_index)
    app.router.add_get(BOMB_PATH, gzip_bomb)
    app.router.add_get("/sitemaps/{name}.xml.gz", gzipped_sitemap)
    app.router.add_get("/sitemaps/{name}.xml", child_sitemap)
    app.router.add_get("/", home)
    app.router.add_get("/category/{category}", listing)
    app.router.add_get("/product/{product_id}", product)
    app.router.add_get("/books", books_listing)
    app.router.add_get("/catalogue", lambda request: _moved("/books"))
    app.router.add_get(STATS_PATH, get_stats)
    app.router.add_post(f"{STATS_PATH}/reset", reset_stats)
    app.router.add_post(f"{STATS_PATH}/release", release)
    return app
