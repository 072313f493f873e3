"""HTML and XML bodies of the demo shop. Two product layouts: v1 and v2 (renamed markup)."""

from __future__ import annotations

import json
import zlib
from html import escape

from scrape_assets.demo_site.catalog import CATEGORIES, SITEMAP_CHUNK, Catalog, Product


def robots_txt(base: str, crawl_delay: float, disallow: tuple[str, ...] = (), sitemap: bool = True) -> str:
    """robots.txt with a Crawl-delay line, Disallow rules and (unless `sitemap` is off) the sitemap index."""
    rules = "".join(f"Disallow: {path}\n" for path in ("/cart/", *disallow))
    sitemap_line = f"Sitemap: {base}/sitemap.xml\n" if sitemap else ""
    return f"User-agent: *\nCrawl-delay: {crawl_delay:g}\n{rules}{sitemap_line}"


def sitemap_index(base: str, catalog: Catalog, extra: tuple[str, ...] = (), gzip_last: bool = False) -> str:
    """The sitemap index: one child sitemap of categories, then product sitemaps in chunks (the last
    one as `.xml.gz` when `gzip_last`), then the `extra` child paths."""
    chunks = catalog.sitemap_chunks()
    children = (
        [f"{base}/sitemaps/categories.xml"]
        + [
            f"{base}/sitemaps/products-{n}.xml{'.gz' if gzip_last and n == chunks else ''}"
            for n in range(1, chunks + 1)
        ]
        + [f"{base}{path}" for path in extra]
    )
    entries = "".join(f"<sitemap><loc>{url}</loc></sitemap>" for url in children)
    return f'<?xml version="1.0" encoding="UTF-8"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{entries}</sitemapindex>'


def gzip_bomb(mebibytes: int) -> bytes:
    """A gzipped urlset that expands to `mebibytes` MiB (blank space after its opening tag): a few KiB
    on the wire, built in 1 MiB steps so the site itself never holds the expanded body."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)  # wbits 31: a gzip container
    head = b'<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
    chunks = [packer.compress(head)]
    blank = b" " * (1 << 20)
    chunks.extend(packer.compress(blank) for _ in range(mebibytes))
    chunks.append(packer.compress(b"</urlset>") + packer.flush())
    return b"".join(chunks)


def _urlset(urls: list[str]) -> str:
    entries = "".join(f"<url><loc>{escape(url)}</loc></url>" for url in urls)
    return f'<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{entries}</urlset>'


def category_sitemap(base: str) -> str:
    """Child sitemap listing the first page of every category."""
    return _urlset([f"{base}/category/{name}" for name in CATEGORIES])


def product_sitemap(base: str, catalog: Catalog, chunk: int) -> str | None:
    """Child sitemap `chunk` (1-based) of product URLs, or None past the end."""
    first = (chunk - 1) * SITEMAP_CHUNK + 1
    if chunk < 1 or first > catalog.size:
        return None
    last = min(catalog.size, chunk * SITEMAP_CHUNK)
    return _urlset([f"{base}/product/{i}" for i in range(first, last + 1)])


def _layout(title: str, body: str) -> str:
    return (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title></head>'
        f'<body><header><a href="/">Demo Shop</a></header><main>{body}</main></body></html>'
    )


def home_page() -> str:
    """Home page linking every category."""
    links = "".join(f'<li><a href="/category/{c}">{c.title()}</a></li>' for c in CATEGORIES)
    return _layout("Demo Shop", f'<ul class="categories">{links}</ul>')


def listing_page(catalog: Catalog, category: str, page: int, ids: list[int], pages: int) -> str:
    """A category listing page with `?page=` pagination."""
    items = "".join(
        f'<li class="product-card"><a href="/product/{pid}">{escape(catalog.product(pid).title)}</a></li>'  # type: ignore[union-attr]
        for pid in ids
    )
    nav = ""
    if page > 1:
        nav += f'<a class="prev" href="/category/{category}?page={page - 1}">Previous</a>'
    if page < pages:
        nav += f'<a class="next" href="/category/{category}?page={page + 1}">Next</a>'
    body = f'<h1>{category.title()}</h1><ul class="products">{items}</ul><nav class="pagination">{nav}</nav>'
    return _layout(f"{category.title()} page {page}", body)


def product_page(product: Product, layout: str, omitted: set[str], price_format: str = "plain") -> str:
    """A product page in layout v1 or v2, leaving out the fields in `omitted`; `price_format` "comma"
    writes v1's machine-readable price with a decimal comma."""
    if layout == "v1":
        body = _product_v1(product, omitted, price_format)
    elif layout == "v2":
        body = _product_v2(product, omitted)
    else:
        body = _product_jsonld(product, omitted)
    return _layout(product.title if "title" not in omitted else "Product", body)


def _product_v1(p: Product, omitted: set[str], price_format: str) -> str:
    amount = f"{p.price:.2f}" if price_format == "plain" else f"{p.price:.2f}".replace(".", ",")
    parts = {
        "category": f'<nav class="breadcrumb"><a href="/">Home</a> &rsaquo; '
        f'<a href="/category/{p.category}">{p.category.title()}</a></nav>',
        "title": f'<h1 class="product-title">{escape(p.title)}</h1>',
        "sku": f'<p>SKU: <span class="sku">{p.sku}</span></p>',
        "price": f'<span class="price" data-amount="{amount}">{p.price:.2f}</span>',
        "currency": f'<span class="currency">{p.currency}</span>',
        "availability": f'<p class="availability" data-state="{p.availability}">{p.availability.replace("_", " ")}</p>',
        "rating": f'<div class="rating" data-value="{p.rating:.1f}">{p.rating:.1f} / 5</div>',
        "description": f'<div class="description"><p>{escape(p.description)}</p></div>',
    }
    inner = "".join(html for name, html in parts.items() if name not in omitted)
    return f'<article class="product">{inner}</article>'


SCHEMA_AVAILABILITY = {"in_stock": "InStock", "out_of_stock": "OutOfStock", "preorder": "PreOrder"}


def _product_jsonld(p: Product, omitted: set[str]) -> str:
    """A shop that carries its data only as schema.org JSON-LD; the visible markup has no stable names."""
    data = {
        "@context": "https://schema.org",
        "@type": "Product",
        "sku": p.sku,
        "name": p.title,
        "category": p.category.title(),
        "description": p.description,
        "aggregateRating": {"@type": "AggregateRating", "ratingValue": p.rating, "bestRating": 5},
        "offers": {
            "@type": "Offer",
            "price": f"{p.price:.2f}",
            "priceCurrency": p.currency,
            "availability": f"https://schema.org/{SCHEMA_AVAILABILITY[p.availability]}",
        },
    }
    for name, key in (("title", "name"), ("category", "category"), ("description", "description")):
        if name in omitted:
            del data[key]
    script = json.dumps(data).replace("</", "<\\/")
    return (
        f'<div class="c-{p.id % 7}"><div class="t-{p.id % 5}">{escape(p.title)}</div></div>'
        f'<script type="application/ld+json">{script}</script>'
    )


def _product_v2(p: Product, omitted: set[str]) -> str:
    parts = {
        "category": f'<ol class="crumbs"><li><a href="/">Home</a></li>'
        f'<li><a href="/category/{p.category}">{p.category.title()}</a></li></ol>',
        "title": f'<h2 class="pdp-name">{escape(p.title)}</h2>',
        "sku": f'<dl><dt>Item</dt><dd class="pdp-item-code">{p.sku}</dd></dl>',
        "price": f'<meta itemprop="price" content="{p.price:.2f}">',
        "currency": f'<meta itemprop="priceCurrency" content="{p.currency}">',
        "availability": f'<link itemprop="availability" href="https://schema.org/{p.availability}">',
        "rating": f'<span class="stars" title="{p.rating:.1f}"></span>',
        "description": f'<section class="pdp-copy">{escape(p.description)}</section>',
    }
    inner = "".join(html for name, html in parts.items() if name not in omitted)
    return f'<div class="pdp" itemscope itemtype="https://schema.org/Product">{inner}</div>'
