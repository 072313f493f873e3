"""The demo site's listing-only catalogue at `/books`: ten records per page, pagination by a `next`
link, no sitemap, and values a YAML can only read with processors: a price with a symbol and a
decimal comma, a date in words, a list of tags, a rating as a class name, stock in a sentence.

`book(catalog, n)` is the truth a test compares delivered records with.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from html import escape

from scrape_assets.demo_site.catalog import Catalog

BOOKS_PER_PAGE = 10
RATING_WORDS = ("One", "Two", "Three", "Four", "Five")
TAGS = ("classic", "love", "humor", "history", "science", "poetry", "travel", "mystery")
FIRST_PUBLISHED = date(1850, 1, 1)


@dataclass(frozen=True)
class Book:
    """One record of the catalogue, typed as a target should deliver it."""

    code: str
    title: str
    price: float
    currency: str
    published: date
    rating: int
    in_stock: int
    tags: list[str]


def book(catalog: Catalog, number: int) -> Book:
    """Book `number` (1-based), derived from the shop's product of the same id."""
    product = catalog.product(number)
    if product is None:
        raise ValueError(f"no book {number} in a catalogue of {catalog.size}")
    return Book(
        code=f"BK-{number:06d}",
        title=product.title,
        price=product.price,
        currency="€" if product.currency == "EUR" else "£",
        published=FIRST_PUBLISHED + timedelta(days=number * 97),
        rating=max(1, min(5, round(product.rating))),
        in_stock=number % 25,
        tags=[TAGS[(number + k * 3) % len(TAGS)] for k in range(number % 3 + 1)],
    )


def page_count(catalog: Catalog) -> int:
    return max(1, -(-catalog.size // BOOKS_PER_PAGE))


def _article(item: Book) -> str:
    amount = f"{item.price:,.2f}".replace(",", " ").replace(".", ",")  # 1 299,50
    price = f"{amount} €" if item.currency == "€" else f"£{amount}"
    stock = f"In stock ({item.in_stock} available)" if item.in_stock else "Out of stock"
    tags = "".join(f'<li><a class="tag" href="/books?tag={t}">{t}</a></li>' for t in item.tags)
    return (
        f'<article class="book"><h3><a href="/books#{item.code}" title="{escape(item.title)}">'
        f"{escape(item.title[:12])}…</a></h3>"
        f'<p class="star-rating {RATING_WORDS[item.rating - 1]}"></p>'
        f'<p class="price">{price}</p><p class="published">Published {item.published:%B} '
        f"{item.published.day}, {item.published.year}</p>"
        f'<p class="availability">\n    {stock}\n  </p><ul class="tags">{tags}</ul>'
        f'<p class="code">Code: <span>{item.code}</span></p></article>'
    )


def books_page(catalog: Catalog, page: int) -> str | None:
    """Listing page `page` (1-based) of the catalogue, or None past the end."""
    pages = page_count(catalog)
    if not 1 <= page <= pages:
        return None
    first = (page - 1) * BOOKS_PER_PAGE + 1
    last = min(catalog.size, first + BOOKS_PER_PAGE - 1)
    items = "".join(_article(book(catalog, n)) for n in range(first, last + 1))
    pager = f'<li class="next"><a href="/books?page={page + 1}">next</a></li>' if page < pages else ""
    return (
        f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>Books, page {page}</title></head><body>'
        f'<section class="books">{items}</section><ul class="pager">{pager}</ul></body></html>'
    )
