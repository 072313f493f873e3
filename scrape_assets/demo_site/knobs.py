"""Every setting of the demo site, in one place: the command-line flags and what they mean.

Each knob is declared once, as a field of `SiteKnobs` whose metadata holds its help text; the
command line is built from those fields.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field, fields
from typing import Any

PRODUCT_FIELDS = ("title", "sku", "price", "currency", "availability", "rating", "category", "description")


def _knob(default: Any, text: str, *, share: bool = False, **flag: Any) -> Any:
    """A flag-backed knob: its default, help text, whether it is a 0..1 share, extra argparse options."""
    return field(default=default, metadata={"help": text, "share": share, "flag": flag})


@dataclass(frozen=True)
class SiteKnobs:
    """How the demo site behaves. Deterministic for a given set of knobs."""

    products: int = _knob(2000, "catalog size")
    seed: int = _knob(7, "catalog random seed")
    layout: str = _knob(
        "v1",
        "v2 renames the markup; jsonld carries the data only as schema.org JSON-LD",
        choices=("v1", "v2", "jsonld"),
    )
    crawl_delay: float = _knob(0.0, "Crawl-delay line in robots.txt")
    robots_fail_after: int = _knob(
        -1, "robots.txt requests answered before every further one gets --robots-fail-status (<0 = never)"
    )
    robots_fail_status: int = _knob(503, "the status robots.txt answers once --robots-fail-after is reached")
    no_sitemap: bool = _knob(
        False, "publish no sitemap: robots.txt names none and /sitemap.xml is 404", action="store_true"
    )
    price_format: str = _knob(
        "plain", "comma writes the price's data-amount with a decimal comma (12,50)", choices=("plain", "comma")
    )
    gzip_last_sitemap: bool = _knob(
        False, "serve the index's last product sitemap gzipped, as products-N.xml.gz", action="store_true"
    )
    gzip_bomb_mib: int = _knob(
        0,
        "list /sitemaps/bomb.xml.gz in the index: a gzipped sitemap of a few KiB that "
        "expands to this many MiB (0 = none)",
    )
    # --- chaos: failures and misbehaviour, for resilience tests ---------------------------------
    rate_limit: float = _knob(0.0, "requests/s over all pages; above it answer 429 with Retry-After (0 = off)")
    retry_after: str = _knob("1", "Retry-After value of 429 answers: seconds or an HTTP date")
    error_rate: float = _knob(0.0, "share of page requests answered 503 at random (seeded)", share=True)
    outage_after: float = _knob(-1.0, "seconds after the first page request when a full outage starts (<0 = never)")
    outage_for: float = _knob(0.0, "outage length in seconds: every page request gets 503")
    outage_after_pages: int = _knob(-1, "page requests answered before a full outage that never ends (<0 = never)")
    latency_ms: int = _knob(0, "milliseconds added to every page response")
    hold_after_pages: int = _knob(
        -1,
        "product pages answered before every further product request is held, unanswered, until "
        "POST /__stats/release: a test acts while a crawl is surely in progress (<0 = never)",
    )
    throttle_share: float = _knob(
        0.0,
        "share of product pages whose first request is answered 429 with Retry-After (--retry-after): a 429 "
        "storm that does not depend on how fast the crawler is",
        share=True,
    )
    reset_share: float = _knob(0.0, "share of product pages whose first request has its connection reset", share=True)
    truncate_share: float = _knob(0.0, "share of product pages whose first response body is cut short", share=True)
    oversize_share: float = _knob(0.0, "share of product pages padded to --oversize-bytes", share=True)
    oversize_bytes: int = _knob(2_000_000, "size of oversized pages")
    bad_charset_share: float = _knob(0.0, "share of product pages declaring a charset that does not exist", share=True)
    non_html_share: float = _knob(0.0, "share of product pages served as application/pdf", share=True)
    captcha_share: float = _knob(
        0.0, "share of product pages always answered 200 with a captcha page instead (a soft ban)", share=True
    )
    offsite_redirect_share: float = _knob(0.0, "share of product pages redirecting to another domain", share=True)
    # repeatable flags, parsed separately (--drop-field FIELD:SHARE, --robots-disallow PATH)
    drop_fields: dict[str, float] = field(default_factory=dict)
    robots_disallow: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.products < 1:
            raise ValueError(f"--products must be at least 1, got {self.products}")
        if self.layout not in ("v1", "v2", "jsonld"):
            raise ValueError(f"--layout must be v1, v2 or jsonld, got {self.layout!r}")
        for name, share in self.drop_fields.items():
            if name not in PRODUCT_FIELDS:
                raise ValueError(f"--drop-field: unknown field {name!r}; known: {', '.join(PRODUCT_FIELDS)}")
            if not 0.0 <= share <= 1.0:
                raise ValueError(f"--drop-field {name}: share must be within 0..1, got {share}")
        for knob in _flag_fields():
            value = getattr(self, knob.name)
            if knob.metadata["share"] and not 0.0 <= value <= 1.0:
                raise ValueError(f"--{knob.name.replace('_', '-')} must be within 0..1, got {value}")
        if self.rate_limit < 0 or self.latency_ms < 0 or self.outage_for < 0 or self.gzip_bomb_mib < 0:
            raise ValueError("--rate-limit, --latency-ms, --outage-for and --gzip-bomb-mib must not be negative")


def _flag_fields() -> list:
    return [knob for knob in fields(SiteKnobs) if "help" in knob.metadata]


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
    for knob in _flag_fields():
        typed: dict[str, Any] = {} if isinstance(knob.default, bool) else {"type": type(knob.default)}
        parser.add_argument(
            f"--{knob.name.replace('_', '-')}",
            default=knob.default,
            help=knob.metadata["help"],
            **typed,
            **knob.metadata["flag"],
        )
    parser.add_argument(
        "--robots-disallow",
        action="append",
        default=[],
        metavar="PATH",
        help="extra Disallow: line in robots.txt; repeatable",
    )
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
        drop_fields=dict(args.drop_field),
        robots_disallow=tuple(args.robots_disallow),
        **{knob.name: getattr(args, knob.name) for knob in _flag_fields()},
    )
