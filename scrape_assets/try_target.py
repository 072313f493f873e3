"""`python -m scrape_assets try TARGET [URL ...] [--stored DAY]`: try a target YAML on a few pages in
seconds, with no Dagster run and no instance.

Fetches the URLs with the target's politeness settings (or reads the day's stored pages from the page
store, making no request), then prints each page's records: every field's value, its validation
verdict, and for a field whose selector matched nothing, what it did match nearby. Exits 0 when every
record is valid, 1 when one is not (or no page gave a record), 2 on bad input (an unknown target, a
bad YAML: the error names the file and field).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import TextIO

import pyarrow as pa
import pyarrow.parquet as pq

from scrape_assets.extraction.extract import ERRORS_COLUMN, decode_page, record_schema
from scrape_assets.extraction.nearby import nearby
from scrape_assets.extraction.selectors import ExtractedRecord, page_records
from scrape_assets.page_store import StoredPage
from scrape_assets.target_config import TargetConfigError, load_target
from scrape_assets.target_config.loader import DEFAULT_TARGETS_DIR
from scrape_assets.target_config.models import TargetConfig

STORED_PAGES = 3


def _target(name_or_path: str) -> TargetConfig:
    path = Path(name_or_path)
    if path.suffix != ".yaml":
        path = Path(os.environ.get("SCRAPE_ASSETS_TARGETS_DIR", str(DEFAULT_TARGETS_DIR))) / f"{name_or_path}.yaml"
    if not path.exists():
        raise TargetConfigError(path, "<file>", "no such target file")
    return load_target(path)


def _live_pages(target: TargetConfig, urls: list[str]) -> tuple[list[StoredPage], list[str]]:
    from scrape_assets.crawler.run import run_try

    pages, failures = run_try(target, [target.absolute(url) for url in urls], redis_url=os.environ.get("REDIS_URL", ""))
    return pages, [f"{f.url}: {f.error}" for f in failures]


def _stored_pages(target: TargetConfig, day: str, urls: list[str]) -> tuple[list[StoredPage], list[str]]:
    from scrape_assets.defs.environment import page_store
    from scrape_assets.page_store import (
        iter_pages,
        latest_entries,
        partition_prefix,
        read_generation,
        readable_segments,
    )

    store = page_store().store()
    prefix = partition_prefix(target.name, day)
    generation = read_generation(store, prefix)
    if generation is None:
        return [], [f"no crawl of {day} stored under {store.location(prefix)}"]
    latest = latest_entries(store, prefix, readable_segments(store, prefix, generation))
    wanted = [target.absolute(url) for url in urls] or [
        url for url in sorted(latest) if target.is_record_url(url) and latest[url][1].status == 200
    ][:STORED_PAGES]
    missing = [f"{url}: not stored for {day}" for url in wanted if url not in latest]
    return list(iter_pages(store, prefix, [latest[url] for url in wanted if url in latest])), missing


def _verdicts(target: TargetConfig, records: list[tuple[StoredPage, ExtractedRecord]]) -> dict[int, list[str]]:
    """Validation reasons by record number (none: valid), from the same split the pipeline runs."""
    from scrape_assets.validation.split import REASON_COLUMN, validate_records

    columns: dict[str, list] = {name: [] for name in record_schema(target).names}
    for number, (page, record) in enumerate(records):
        for name, value in record.values.items():
            columns[name].append(value)
        columns["source_url"].append(page.url)
        columns["page_ref"].append(str(number))
        columns["fetched_at"].append(page.fetched_at)
        columns[ERRORS_COLUMN].append("; ".join(record.errors) or None)
    with tempfile.TemporaryDirectory() as folder:
        parsed = Path(folder) / "parsed.parquet"
        pq.write_table(pa.table(columns, schema=record_schema(target)), parsed)
        validate_records(target, parsed, Path(folder) / "valid.parquet", Path(folder) / "quarantined.parquet")
        quarantined = pq.read_table(Path(folder) / "quarantined.parquet").to_pylist()
    return {int(row["page_ref"]): row[REASON_COLUMN].split("; ") for row in quarantined}


def _show(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def report(target: TargetConfig, pages: Iterable[StoredPage], out: TextIO = sys.stdout) -> bool:
    """Print every page's records with per-field verdicts; True when all records are valid."""
    records: list[tuple[StoredPage, ExtractedRecord]] = []
    texts: dict[str, str] = {}
    for page in pages:
        text, _ = decode_page(page)
        found = page_records(text, target.record) if page.status == 200 and "html" in page.content_type else []
        texts[page.url] = text
        print(
            f"{page.url}  (HTTP {page.status}, {len(found)} record(s)"
            f"{'' if target.is_record_url(page.url) else '; not a record URL by record_url_pattern'})",
            file=out,
        )
        records.extend((page, record) for record in found)
    reasons = _verdicts(target, records) if records else {}
    width = max(len(name) for name in target.record.fields)
    for number, (page, record) in enumerate(records):
        print(f"\nrecord {number + 1} of {page.url}: {'INVALID' if number in reasons else 'valid'}", file=out)
        for name, spec in target.record.fields.items():
            value = record.values[name]
            mine = [r for r in reasons.get(number, []) if r.split(":", 1)[0] == name]
            verdict = "; ".join(r.split(": ", 1)[1] for r in mine) if mine else "ok"
            print(f"  {name:<{width}}  {_show(value):<62} {verdict}", file=out)
            if value is None:
                hints = nearby(texts[page.url], spec)
                print(
                    f"  {'':<{width}}  {spec.selector} matched nothing"
                    f"{'; nearby: ' + ' | '.join(hints) if hints else ''}",
                    file=out,
                )
        for reason in reasons.get(number, []):
            if reason.split(":", 1)[0] not in target.record.fields:
                print(f"  (record) {reason}", file=out)
    print(f"\n{len(records)} record(s), {len(records) - len(reasons)} valid, {len(reasons)} invalid", file=out)
    return bool(records) and not reasons


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m scrape_assets try", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("target", help="a target's name (a file in the targets folder) or a YAML file's path")
    parser.add_argument("urls", nargs="*", metavar="URL", help="pages to try (relative to base_url allowed)")
    parser.add_argument(
        "--stored",
        metavar="DAY",
        help=f"read the day's stored pages instead (default: the "
        f"first {STORED_PAGES} record pages); no request is made",
    )
    args = parser.parse_args(argv)
    try:
        target = _target(args.target)
    except TargetConfigError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if not args.urls and not args.stored:
        parser.error("give at least one URL, or --stored DAY")
    pages, problems = _stored_pages(target, args.stored, args.urls) if args.stored else _live_pages(target, args.urls)
    for problem in problems:
        print(f"not read: {problem}")
    return 0 if report(target, pages) else 1
