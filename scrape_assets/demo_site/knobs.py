"""Every setting of the demo site, in one place: the command-line flags and what they mean."""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field

PRODUCT_FIELDS = ("title", "sku", "price", "currency", "availability", "rating", "category", "description")


@dataclass(frozen=True)
class SiteKnobs:
    """How the demo site behaves. Deterministic for a given set of knobs."""

    products: int = 2000
    seed: int = 7
    layout: str = "v1"
    crawl_delay: float = 0.0
    # field name -> share of product pages (0..1) on which that field is omitted
    drop_fields: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.products < 1:
            raise ValueError(f"--products must be at least 1, got {self.products}")
        if self.layout not in ("v1", "v2"):
            raise ValueError(f"--layout must be v1 or v2, got {self.layout!r}")
        for name, share in self.drop_fields.items():
            if name not in PRODUCT_FIELDS:
                raise ValueError(f"--drop-field: unknown field {name!r}; known: {', '.join(PRODUCT_FIELDS)}")
            if not 0.0 <= share <= 1.0:
                raise ValueError(f"--drop-field {name}: share must be within 0..1, got {share}")


def _drop_field(text: str) -> tuple[str, float]:
    name, sep, share = text.partition(":")
    if not sep:
        raise argparse.ArgumentTypeError(f"expected FIELD:SHARE, got {text!r}")
    try:
        return name, float(share)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"share in {text!r} is not a number") from exc


def build_parser() -> argparse.ArgumentParser:
    """The `python -m scrape_assets.demo_site` command line."""
    parser = argparse.ArgumentParser(prog="python -m scrape_assets.demo_site", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (loopback only)")
    parser.add_argument("--port", type=int, default=0, help="port; 0 picks a free one")
    parser.add_argument("--products", type=int, default=SiteKnobs.products, help="catalog size")
    parser.add_argument("--seed", type=int, default=SiteKnobs.seed, help="catalog random seed")
    parser.add_argument("--layout", choices=("v1", "v2"), default="v1", help="v2 renames the markup")
    parser.add_argument("--crawl-delay", type=float, default=0.0, help="Crawl-delay line in robots.txt")
    parser.add_argument(
        "--drop-field",
        type=_drop_field,
        action="append",
        default=[],
        metavar="FIELD:SHARE",
        help="omit FIELD on SHARE (0..1) of product pages; repeatable",
    )
    return parser


def knobs_from_args(args: argparse.Namespace) -> SiteKnobs:
    """Turn parsed flags into knobs, validating them."""
    return SiteKnobs(
        products=args.products,
        seed=args.seed,
        layout=args.layout,
        crawl_delay=args.crawl_delay,
        drop_fields=dict(args.drop_field),
    )
