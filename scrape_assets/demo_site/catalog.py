"""The demo shop's deterministic catalog: the same seed and size give the same products."""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass
from functools import cached_property

CATEGORIES = (
    "kitchen",
    "garden",
    "toys",
    "books",
    "audio",
    "outdoor",
    "office",
    "lighting",
)
ADJECTIVES = ("Compact", "Deluxe", "Classic", "Smart", "Rugged", "Eco", "Pro", "Mini", "Ultra", "Vintage")
NOUNS = ("Kettle", "Lamp", "Chair", "Speaker", "Backpack", "Notebook", "Drone", "Planter", "Clock", "Blender")
CURRENCIES = ("USD", "EUR", "GBP")
AVAILABILITY = ("in_stock", "in_stock", "in_stock", "out_of_stock", "preorder")
PAGE_SIZE = 24
SITEMAP_CHUNK = 1000


@dataclass(frozen=True)
class Product:
    """One product as the site shows it."""

    id: int
    sku: str
    title: str
    price: float
    currency: str
    availability: str
    rating: float
    category: str
    description: str


def _product(seed: int, product_id: int) -> Product:
    rng = random.Random(seed * 1_000_003 + product_id)
    title = f"{rng.choice(ADJECTIVES)} {rng.choice(NOUNS)} {product_id}"
    sentences = [
        f"The {title.lower()} is built for everyday use.",
        f"Ships in {rng.randint(1, 9)} days from our warehouse.",
        "Covered by a two-year warranty and free returns.",
    ]
    return Product(
        id=product_id,
        sku=f"SKU-{seed:03d}-{product_id:06d}",
        title=title,
        price=round(rng.uniform(2.0, 900.0), 2),
        currency=rng.choice(CURRENCIES),
        availability=rng.choice(AVAILABILITY),
        rating=round(rng.uniform(1.0, 5.0), 1),
        category=CATEGORIES[product_id % len(CATEGORIES)],
        description=" ".join(sentences * rng.randint(2, 6)),
    )


class Catalog:
    """Products 1..N and the category listings that page through them."""

    def __init__(self, products: int, seed: int):
        self.size = products
        self.seed = seed

    def product(self, product_id: int) -> Product | None:
        """The product with that id, or None when it does not exist."""
        if not 1 <= product_id <= self.size:
            return None
        return _product(self.seed, product_id)

    @cached_property
    def _category_ids(self) -> dict[str, list[int]]:
        ids: dict[str, list[int]] = {name: [] for name in CATEGORIES}
        for product_id in range(1, self.size + 1):
            ids[CATEGORIES[product_id % len(CATEGORIES)]].append(product_id)
        return ids

    def listing(self, category: str, page: int) -> tuple[list[int], int] | None:
        """Product ids on a listing page and the page count, or None for an unknown page."""
        ids = self._category_ids.get(category)
        if ids is None:
            return None
        pages = max(1, -(-len(ids) // PAGE_SIZE))
        if not 1 <= page <= pages:
            return None
        return ids[(page - 1) * PAGE_SIZE : page * PAGE_SIZE], pages

    def sitemap_chunks(self) -> int:
        """How many product sitemaps the index lists."""
        return -(-self.size // SITEMAP_CHUNK)

    def is_dropped(self, field: str, product_id: int, share: float) -> bool:
        """Whether `field` is omitted on this product's page: a stable hash, not a random draw."""
        digest = hashlib.blake2b(f"{self.seed}:{field}:{product_id}".encode(), digest_size=8).digest()
        return int.from_bytes(digest, "big") / 2**64 < share
