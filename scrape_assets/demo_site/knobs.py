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
    # --- chaos: failures and misbehaviour, for resilience tests ---------------------------------
    rate_limit: float = 0.0  # requests/s over all pages; above it, 429 with Retry-After (0 = off)
    retry_after: str = "1"  # Retry-After value sent with 429s: seconds or an HTTP date
    error_rate: float = 0.0  # share of page requests answered 503, drawn at random (seeded)
    outage_after: float = -1.0  # seconds after the first page request when a full outage starts (<0 = never)
    outage_for: float = 0.0  # how long the outage lasts: every page request gets 503
    latency_ms: int = 0  # added to every page response
    reset_share: float = 0.0  # product pages whose first request has its connection reset
    truncate_share: float = 0.0  # product pages whose first response body is cut short
    oversize_share: float = 0.0  # product pages padded to `oversize_bytes`
    oversize_bytes: int = 2_000_000
    bad_charset_share: float = 0.0  # product pages declaring a charset that does not exist
    non_html_share: float = 0.0  # product pages served as application/pdf
    offsite_redirect_share: float = 0.0  # product pages redirecting to another domain
    robots_disallow: tuple[str, ...] = ()  # extra Disallow: lines in robots.txt

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
        for name in SHARE_KNOBS + ("error_rate",):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"--{name.replace('_', '-')} must be within 0..1, got {value}")
        if self.rate_limit < 0 or self.latency_ms < 0 or self.outage_for < 0:
            raise ValueError("--rate-limit, --latency-ms and --outage-for must not be negative")


SHARE_KNOBS = ("reset_share", "truncate_share", "oversize_share", "bad_charset_share", "non_html_share",
               "offsite_redirect_share")
CHAOS_FLAGS: dict[str, tuple[type, str]] = {
    "rate_limit": (float, "requests/s over all pages; above it answer 429 with Retry-After (0 = off)"),
    "retry_after": (str, "Retry-After value of 429 answers: seconds or an HTTP date"),
    "error_rate": (float, "share of page requests answered 503 at random (seeded)"),
    "outage_after": (float, "seconds after the first page request when a full outage starts (<0 = never)"),
    "outage_for": (float, "outage length in seconds: every page request gets 503"),
    "latency_ms": (int, "milliseconds added to every page response"),
    "reset_share": (float, "share of product pages whose first request has its connection reset"),
    "truncate_share": (float, "share of product pages whose first response body is cut short"),
    "oversize_share": (float, "share of product pages padded to --oversize-bytes"),
    "oversize_bytes": (int, "size of oversized pages"),
    "bad_charset_share": (float, "share of product pages declaring a charset that does not exist"),
    "non_html_share": (float, "share of product pages served as application/pdf"),
    "offsite_redirect_share": (float, "share of product pages redirecting to another domain"),
}


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
    for name, (kind, text) in CHAOS_FLAGS.items():
        parser.add_argument(f"--{name.replace('_', '-')}", type=kind, default=getattr(SiteKnobs, name), help=text)
    parser.add_argument("--robots-disallow", action="append", default=[], metavar="PATH",
                        help="extra Disallow: line in robots.txt; repeatable")
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
        robots_disallow=tuple(args.robots_disallow),
        **{name: getattr(args, name) for name in CHAOS_FLAGS},
    )
