"""Typed model of a target YAML file (`scrape_assets/targets/<name>.yaml`).

Both sides use it: the orchestrator builds assets and schemas from it, and the crawler receives it
(serialised through Pipes extras) to configure Scrapy. It must not import Dagster.
"""

from __future__ import annotations

import math
import re
import zlib
from datetime import date
from typing import Literal
from urllib.parse import urljoin, urlparse

from cssselect import SelectorError
from parsel import Selector
from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from scrape_assets.target_config.processors import ProcessorSpec, ends_as_list

FIELD_TYPES = ("string", "int", "float", "bool", "date")
NAME_PATTERN = r"^[a-z][a-z0-9_]{0,62}$"
RESERVED_COLUMNS = ("partition_date", "source_url", "page_ref", "fetched_at", "quarantine_reason")
# Words `type: bool` reads as true / false, in any case; `true_values` / `false_values` add more.
TRUE_WORDS = ("true", "yes", "1", "on", "y", "t")
FALSE_WORDS = ("false", "no", "0", "off", "n", "f")
_EMPTY_PAGE = Selector(text="<html><body></body></html>")
# `jsonld` / `microdata` paths: a schema.org type, then keys (`Product.offers.price`)
# catalog owners and tags, as Dagster accepts them on assets (checked at load, naming the field)
OWNER = re.compile(r"^(team:[A-Za-z0-9_.-]+|[^@\s]+@[^@\s]+\.[^@\s]+)$")
TAG_TEXT = re.compile(r"^[A-Za-z0-9_.-]{0,63}$")
STRUCTURED_PATH = re.compile(r"^[A-Za-z][A-Za-z0-9]*(\.[A-Za-z@][A-Za-z0-9_@:-]*)+$")


def bool_words(true_extra: list[str], false_extra: list[str]) -> dict[str, bool]:
    """Lower-cased text -> value: TRUE_WORDS and FALSE_WORDS, then the extra words (which win)."""
    words = {w: True for w in TRUE_WORDS} | {w: False for w in FALSE_WORDS}
    return words | {str(w).lower(): True for w in true_extra} | {str(w).lower(): False for w in false_extra}


# an XPath function call: a name (with an optional prefix) before "(", outside string literals
_XPATH_CALL = re.compile(r"(?<![\w.:@$-])([A-Za-z_][\w.-]*(?::[A-Za-z_][\w.-]*)?)\s*\(")
_XPATH_LITERAL = re.compile(r"'[^']*'|\"[^\"]*\"")
_NODE_TESTS = {"node", "text", "comment", "processing-instruction"}
_UNKNOWN_FUNCTION = ("Unregistered function", "Undefined namespace prefix")


def _unknown_xpath_functions(expression: str) -> list[str]:
    """The functions an XPath calls that lxml and parsel do not have. lxml compiles such a call and
    fails only on a page that reaches it, so each one is called alone on the empty page: a wrong
    number of arguments is a known function, "Unregistered function" an unknown one."""
    unknown = []
    for name in dict.fromkeys(_XPATH_CALL.findall(_XPATH_LITERAL.sub("''", expression))):
        if name in _NODE_TESTS:
            continue
        try:
            _EMPTY_PAGE.xpath(f"{name}()")
        except ValueError as exc:
            if any(marker in str(exc) for marker in _UNKNOWN_FUNCTION):
                unknown.append(name)
        except TypeError:  # a Python extension function (parsel's re:test) called without its arguments
            pass
    return unknown


def _compiled(kind: str, expression: str) -> str:
    """The selector, once parsel (the engine extraction uses) has compiled and run it on an empty page,
    and for XPath once every function it calls is known: a mistake is found when the YAML loads, not
    after a crawl."""
    try:
        _EMPTY_PAGE.css(expression) if kind == "css" else _EMPTY_PAGE.xpath(expression)
    except (SelectorError, ValueError) as exc:
        raise ValueError(f"{kind} selector {expression!r} does not compile: {exc}") from exc
    unknown = _unknown_xpath_functions(expression) if kind == "xpath" else []
    if unknown:
        raise ValueError(f"xpath selector {expression!r} calls unknown function(s): {', '.join(unknown)}")
    return expression


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FieldChecks(_Strict):
    """Value rules applied by the pandera schema, beyond type and presence."""

    gt: float | None = None
    ge: float | None = None
    lt: float | None = None
    le: float | None = None
    isin: list[str] | None = None
    regex: str | None = None
    min_length: int | None = None

    @field_validator("regex")
    @classmethod
    def _regex_compiles(cls, value: str | None) -> str | None:
        if value is not None:
            re.compile(value)
        return value


class ElementSelector(_Strict):
    """A CSS or XPath selector of page elements, compiled at load. Used for `record.item` (the elements
    that each carry one record; field selectors are then relative to one, `.//` in XPath) and for
    `follow` rules by selector (the links, `<a>` elements or href texts, it selects are followed)."""

    css: str | None = None
    xpath: str | None = None

    @field_validator("css", "xpath")
    @classmethod
    def _selector_compiles(cls, value: str | None, info: ValidationInfo) -> str | None:
        return None if value is None else _compiled(str(info.field_name), value)

    @model_validator(mode="after")
    def _exactly_one_selector(self) -> ElementSelector:
        if (self.css is None) == (self.xpath is None):
            raise ValueError("give exactly one of 'css' or 'xpath'")
        return self


class BlockMarker(_Strict):
    """What marks a block page (a captcha, an "access denied" page served with 200): an element a CSS or
    XPath selector finds, or a text the page contains (any case)."""

    css: str | None = None
    xpath: str | None = None
    text: str | None = None

    @field_validator("css", "xpath")
    @classmethod
    def _selector_compiles(cls, value: str | None, info: ValidationInfo) -> str | None:
        return None if value is None else _compiled(str(info.field_name), value)

    @model_validator(mode="after")
    def _exactly_one(self) -> BlockMarker:
        if sum(v is not None for v in (self.css, self.xpath, self.text)) != 1:
            raise ValueError("give exactly one of 'css', 'xpath' or 'text'")
        return self


class FieldSpec(_Strict):
    """One field of the record: where to find it on the page, how to clean it and what it must look like."""

    css: str | None = None
    xpath: str | None = None
    # schema.org data of the page instead of its HTML, read with extruct: `Product.offers.price`
    jsonld: str | None = None
    microdata: str | None = None
    type: Literal["string", "int", "float", "bool", "date"] = "string"
    description: str | None = None  # the column's description in the catalog and the delivered table's contract
    # keep every match as a list (else matches are joined by a space); validation checks each element
    multiple: bool = False
    fold_whitespace: bool = True  # the first processor, on unless turned off
    processors: list[ProcessorSpec] = []
    required: bool = False
    min_completeness: float = Field(default=0.0, ge=0.0, le=1.0)
    checks: FieldChecks = FieldChecks()
    # `type: bool` only: page texts read as true / false beyond TRUE_WORDS / FALSE_WORDS (any case)
    true_values: list[str] = []
    false_values: list[str] = []

    @field_validator("css", "xpath")
    @classmethod
    def _selector_compiles(cls, value: str | None, info: ValidationInfo) -> str | None:
        return None if value is None else _compiled(str(info.field_name), value)

    @field_validator("jsonld", "microdata")
    @classmethod
    def _path_is_a_type_and_keys(cls, value: str | None) -> str | None:
        if value is not None and not STRUCTURED_PATH.match(value):
            raise ValueError(f"{value!r} is not a schema.org type followed by keys, like 'Product.offers.price'")
        return value

    @model_validator(mode="after")
    def _exactly_one_selector(self) -> FieldSpec:
        if sum(v is not None for v in (self.css, self.xpath, self.jsonld, self.microdata)) != 1:
            raise ValueError("give exactly one of 'css', 'xpath', 'jsonld' or 'microdata'")
        if (self.true_values or self.false_values) and self.type != "bool":
            raise ValueError("true_values / false_values apply to type: bool only")
        both = {v.lower() for v in self.true_values} & {v.lower() for v in self.false_values}
        if both:
            raise ValueError(f"{sorted(both)} listed in both true_values and false_values")
        ends_as_list(self.multiple, self.processors)
        return self

    @property
    def is_list(self) -> bool:
        """True when the field's value is a list (delivered as LIST / ARRAY)."""
        return ends_as_list(self.multiple, self.processors)

    def bool_words(self) -> dict[str, bool]:
        """Lower-cased page text -> value, for `type: bool`."""
        return bool_words(self.true_values, self.false_values)

    @property
    def selector(self) -> str:
        """The selector text, for error messages."""
        kind = next(kind for kind in ("css", "xpath", "jsonld", "microdata") if getattr(self, kind) is not None)
        return f"{kind}:{getattr(self, kind)}"


class DriftSpec(_Strict):
    """The blocking `completeness_drift` check: today's completeness of each field against its median
    over the last `window` materialized days."""

    max_drop: float = Field(default=0.1, gt=0.0, le=1.0)  # fail when median - today exceeds this
    window: int = Field(default=7, ge=1, le=90)
    min_history: int = Field(default=3, ge=1)  # fewer earlier days than this: the check passes, saying so

    @model_validator(mode="after")
    def _history_fits_window(self) -> DriftSpec:
        if self.min_history > self.window:
            raise ValueError(f"min_history ({self.min_history}) exceeds window ({self.window})")
        return self


class RecordSpec(_Strict):
    """The records extracted from each record page: one per page, or one per `item` element."""

    key: str
    item: ElementSelector | None = None
    fields: dict[str, FieldSpec]
    # Fail extraction (SelectorNotFound) when a required field's selector matches nothing on more than
    # this share of record pages: a layout change, not a data-quality dip.
    selector_missing_max_share: float = Field(default=0.5, ge=0.0, le=1.0)
    # The row-count check passes when extracted records reach this share of the day's record URLs
    # (the frontier's and those found by following links).
    min_row_share: float = Field(default=0.99, ge=0.0, le=1.0)
    # The valid-share check passes when valid records reach this share of parsed records.
    min_valid_share: float = Field(default=0.95, ge=0.0, le=1.0)
    # The row-count drift check fails when valid rows fell more than this share below their median over
    # the last materialized days (the same days as completeness_drift: its window and min_history).
    max_row_drop: float = Field(default=0.2, gt=0.0, le=1.0)
    completeness_drift: DriftSpec = DriftSpec()

    @field_validator("fields")
    @classmethod
    def _field_names(cls, fields: dict[str, FieldSpec]) -> dict[str, FieldSpec]:
        if not fields:
            raise ValueError("declare at least one field")
        for name in fields:
            if not re.match(NAME_PATTERN, name):
                raise ValueError(f"field name {name!r} must match {NAME_PATTERN}")
            if name in RESERVED_COLUMNS:
                raise ValueError(f"field name {name!r} is reserved")
        return fields

    @model_validator(mode="after")
    def _key_is_required_field(self) -> RecordSpec:
        if self.key not in self.fields:
            raise ValueError(f"key {self.key!r} is not one of the fields {sorted(self.fields)}")
        if not self.fields[self.key].required:
            raise ValueError(f"key field {self.key!r} must be required: true")
        if self.fields[self.key].is_list:
            raise ValueError(f"key field {self.key!r} must be a single value, not a list")
        return self


class PolitenessSpec(_Strict):
    """How hard the crawler may hit the target. Defaults are production-polite."""

    obey_robots: bool = True
    respect_crawl_delay: bool = True
    download_delay_seconds: float = Field(default=0.0, ge=0.0)
    # requests in flight per crawler process (Scrapy's CONCURRENT_REQUESTS and _PER_DOMAIN)
    concurrency: int = Field(default=16, ge=1, le=256)
    max_tries: int = Field(default=4, ge=1, le=20)
    timeout_seconds: float = Field(default=30.0, gt=0.0)
    max_page_bytes: int = Field(default=10 * 1024 * 1024, gt=0)
    user_agent: str = "scrape-assets (+https://github.com/scrape-assets)"
    # Shared by every crawler process of the target (Redis when configured); 0 = no limit beyond Crawl-delay.
    rate_limit_per_second: float = Field(default=0.0, ge=0.0)
    rate_limit_burst: float = Field(default=1.0, ge=1.0)
    backoff_base_seconds: float = Field(default=1.0, ge=0.0)
    backoff_max_seconds: float = Field(default=60.0, ge=0.0)
    retry_after_max_seconds: float = Field(default=120.0, ge=0.0)
    adaptive: bool = True
    # AutoThrottle's target: unset, `concurrency` itself, so a healthy target is crawled at full
    # concurrency and the delay grows only as its latency does
    adaptive_target_concurrency: float | None = Field(default=None, gt=0.0)
    adaptive_max_delay_seconds: float = Field(default=30.0, gt=0.0)

    def throttle_target(self) -> float:
        """The concurrency AutoThrottle aims for."""
        return self.adaptive_target_concurrency or float(self.concurrency)


class BreakerSpec(_Strict):
    """The per-target circuit breaker: trips on a high share of 5xx in a sliding window, or on
    `consecutive_failures` failures in a row (an outage after a long healthy stretch)."""

    window_seconds: float = Field(default=120.0, gt=0.0)
    error_share: float = Field(default=0.5, gt=0.0, le=1.0)
    min_samples: int = Field(default=20, ge=1)
    open_seconds: float = Field(default=10.0, gt=0.0)
    max_open_seconds: float = Field(default=300.0, gt=0.0)
    outage_after_seconds: float = Field(default=900.0, gt=0.0)
    consecutive_failures: int = Field(default=30, ge=1)


class ProxySpec(_Strict):
    """A proxy pool; no URLs means direct connections."""

    urls: list[str] = []
    min_healthy: int = Field(default=1, ge=1)
    ban_statuses: list[int] = [403, 407]
    bench_seconds: float = Field(default=60.0, gt=0.0)
    exhausted_timeout_seconds: float = Field(default=600.0, gt=0.0)
    health_path: str = "/robots.txt"
    # hours after the scheduled time (schedule.hour_of_day:minute_of_hour, the day after the partition)
    # that the proxy gate waits for a healthy pool before it alerts and records the day as missed
    gate_timeout_hours: float = Field(default=6.0, ge=0.0)


class ScheduleSpec(_Strict):
    """When the daily job runs, and the first day that exists."""

    start_date: date = date(2026, 1, 1)
    hour_of_day: int = Field(default=3, ge=0, le=23)
    # unset: a minute derived from the target's name (like cron's `H`), so that many targets scheduled
    # at the same hour are launched spread over it, each at the same minute every day
    minute_of_hour: int | None = Field(default=None, ge=0, le=59)
    timezone: str = "UTC"
    # The delivered table is expected this many hours after the run's start time (a FreshnessPolicy).
    freshness_deadline_hours: int = Field(default=6, ge=1, le=23)


class RunPolicySpec(_Strict):
    """Dagster step retries of the crawl (a whole-step retry, above Scrapy's request retries)."""

    crawl_step_retries: int = Field(default=2, ge=0, le=10)
    crawl_step_retry_delay_seconds: float = Field(default=30.0, ge=0.0)


class ShardingSpec(_Strict):
    """Fan-out of the page crawl: the frontier's record URLs are split into shards, each crawled by
    its own process or pod and retried on its own. Shards = record URLs / `urls_per_shard`, rounded
    up, between 1 and `max_shards`; unset, `max_shards` is the number of crawlers the launcher runs at
    once (the cores of this machine for local processes, `max_parallel_pods` in Kubernetes). The rate
    limit stays the target's total (shared through Redis, or divided among the shards); concurrency
    is per process, as in Scrapy."""

    max_shards: int | None = Field(default=None, ge=1, le=64)
    urls_per_shard: int = Field(default=2000, ge=1)

    def shard_count(self, record_url_count: int, parallel_crawlers: int) -> int:
        """Shards for a frontier of `record_url_count` record URLs, when the launcher can run
        `parallel_crawlers` at once."""
        cap = self.max_shards or max(1, parallel_crawlers)
        return max(1, min(cap, math.ceil(record_url_count / self.urls_per_shard)))

    def fits_one_shard(self, record_url_count: int) -> bool:
        """Whether a frontier of `record_url_count` record URLs is crawled in one shard however many
        crawlers the launcher can run at once."""
        return self.max_shards == 1 or record_url_count <= self.urls_per_shard


class TargetConfig(_Strict):
    """A target site and everything needed to scrape, validate and deliver it."""

    name: str = Field(pattern=NAME_PATTERN)
    base_url: str
    allowed_domains: list[str]
    # unset: the Sitemap lines of robots.txt (a day without any, and without start_urls, fails its
    # frontier as FrontierIncomplete, naming the target)
    sitemap_index: str | None = None
    start_urls: list[str] = []
    # links followed: URL regexes and/or selectors ({css: "li.next a"}), from every fetched page
    follow: list[str | ElementSelector] = []
    follow_from_record_pages: bool = True  # off: links are followed from listing pages only (cheaper)
    max_depth: int = Field(default=0, ge=0)  # links away from the start URLs and sitemaps (0 = no limit)
    max_pages: int = Field(default=0, ge=0)  # responses per crawl process (0 = no limit)
    record_url_pattern: str
    record: RecordSpec
    politeness: PolitenessSpec = PolitenessSpec()
    breaker: BreakerSpec = BreakerSpec()
    proxies: ProxySpec = ProxySpec()
    schedule: ScheduleSpec = ScheduleSpec()
    run_policy: RunPolicySpec = RunPolicySpec()
    sharding: ShardingSpec = ShardingSpec()
    # soft bans: a page that answers 200 but is a block page is retried (through another proxy when
    # there is one), then given up as `blocked`; above `blocked_max_share` of the day's record pages the
    # day's crawl fails as a ban (the target's side). Besides `blocked_when`, a record page whose required
    # fields all match nothing and whose text has a common block marker (captcha, "access denied",
    # "unusual traffic"...) is a block page unless `blocked_common_markers` is off.
    blocked_when: list[BlockMarker] = []
    blocked_common_markers: bool = True
    blocked_max_share: float = Field(default=0.01, ge=0.0, le=1.0)
    # the catalog: owners of every asset of the target (emails or `team:<name>`) and tags added to theirs
    owners: list[str] = []
    tags: dict[str, str] = {}

    @field_validator("owners")
    @classmethod
    def _owners_are_emails_or_teams(cls, value: list[str]) -> list[str]:
        for owner in value:
            if not OWNER.match(owner):
                raise ValueError(f"owner {owner!r} is neither an email address nor 'team:<name>'")
        return value

    @field_validator("tags")
    @classmethod
    def _tags_are_plain(cls, value: dict[str, str]) -> dict[str, str]:
        for key, text in value.items():
            if not key or not TAG_TEXT.match(key) or not TAG_TEXT.match(text):
                raise ValueError(
                    f"tag {key!r}: {text!r}: keys and values are at most 63 letters, digits, '_', '-' or '.'"
                )
        return value

    @field_validator("base_url")
    @classmethod
    def _base_url_is_http(cls, value: str) -> str:
        parsed = urlparse(value)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise ValueError(f"{value!r} is not an http(s) URL")
        return value.rstrip("/") + "/"

    @field_validator("follow", "record_url_pattern")
    @classmethod
    def _patterns_compile(cls, value: str | list) -> str | list:
        for pattern in [value] if isinstance(value, str) else value:
            if not isinstance(pattern, str):
                continue
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"pattern {pattern!r} does not compile: {exc}") from exc
        return value

    def absolute(self, url: str) -> str:
        """Resolve a URL from the YAML against `base_url`."""
        return urljoin(self.base_url, url)

    def is_record_url(self, url: str) -> bool:
        """True when the URL is a page that carries one record."""
        return re.search(self.record_url_pattern, url) is not None

    def is_follow_url(self, url: str) -> bool:
        """True when links to this URL should be followed (listing pagination): it matches a regex rule."""
        return any(isinstance(rule, str) and re.search(rule, url) for rule in self.follow)

    @property
    def follow_selectors(self) -> list[ElementSelector]:
        """The `follow` rules given as selectors."""
        return [rule for rule in self.follow if isinstance(rule, ElementSelector)]

    @property
    def scheduled_minute(self) -> int:
        """The minute of `schedule.hour_of_day` the daily run starts at: the YAML's, or one derived from
        the name (stable across processes and releases: CRC-32, not Python's salted `hash`)."""
        minute = self.schedule.minute_of_hour
        return minute if minute is not None else zlib.crc32(self.name.encode("utf-8")) % 60

    @property
    def delivered_table(self) -> str:
        """Name of the table users query."""
        return f"delivered_{self.name}"
