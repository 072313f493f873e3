"""Target YAML parsing: good files load; bad ones fail with the file, the field and the problem."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from scrape_assets.crawler.failures import SecretMissing
from scrape_assets.crawler.settings import scrapy_settings
from scrape_assets.target_config import TargetConfigError, load_target, load_targets
from scrape_assets.target_config.loader import DEFAULT_TARGETS_DIR


def _demo() -> dict:
    return yaml.safe_load((DEFAULT_TARGETS_DIR / "demo_shop.yaml").read_text())


def _write(tmp_path: Path, name: str, body: dict | str) -> Path:
    path = tmp_path / f"{name}.yaml"
    path.write_text(body if isinstance(body, str) else yaml.safe_dump(body))
    return path


def test_shipped_demo_target_loads_with_env_base_url(monkeypatch):
    monkeypatch.setenv("DEMO_SHOP_URL", "http://127.0.0.1:9999")
    target = load_targets(DEFAULT_TARGETS_DIR)[0]
    assert target.name == "demo_shop"
    assert target.base_url == "http://127.0.0.1:9999/"
    assert target.record.key == "sku"
    assert target.is_record_url("http://127.0.0.1:9999/product/12")
    assert not target.is_record_url("http://127.0.0.1:9999/category/toys?page=2")
    assert target.is_follow_url("http://127.0.0.1:9999/category/toys?page=2")


def test_base_url_falls_back_to_the_default_in_the_file(monkeypatch):
    monkeypatch.delenv("DEMO_SHOP_URL", raising=False)
    assert load_target(DEFAULT_TARGETS_DIR / "demo_shop.yaml").base_url == "http://127.0.0.1:8765/"


def test_yaml_syntax_error_names_file_and_line(tmp_path):
    path = _write(tmp_path, "broken", "base_url: [unclosed\nrecord: {}\n")
    with pytest.raises(TargetConfigError) as raised:
        load_target(path)
    assert str(path) in str(raised.value)
    assert "not valid YAML at line" in str(raised.value)


def test_unknown_field_type_names_the_field(tmp_path):
    body = _demo()
    body["record"]["fields"]["price"]["type"] = "money"
    path = _write(tmp_path, "shop", body)
    with pytest.raises(TargetConfigError) as raised:
        load_target(path)
    assert raised.value.field == "record.fields.price.type"
    assert str(path) in str(raised.value) and "money" not in raised.value.field
    assert "'string', 'int', 'float', 'bool' or 'date'" in str(raised.value)


@pytest.mark.parametrize(
    ("mutate", "field", "problem"),
    [
        (
            lambda b: b["record"]["fields"]["title"].pop("css"),
            "record.fields.title",
            "exactly one of 'css', 'xpath', 'jsonld' or 'microdata'",
        ),
        (lambda b: b["record"].update(key="nope"), "record", "key 'nope' is not one of the fields"),
        (lambda b: b.update(base_url="ftp://example"), "base_url", "is not an http(s) URL"),
        (lambda b: b.update(record_url_pattern="(unclosed"), "record_url_pattern", "does not compile"),
        (lambda b: b["politeness"].update(concurrency=0), "politeness.concurrency", "greater than or equal to 1"),
        (lambda b: b.update(surprise=True), "surprise", "Extra inputs are not permitted"),
        (lambda b: b.update(name="other"), "name", "differs from the file name"),
        (lambda b: b.update(owners=["someone"]), "owners", "neither an email address nor 'team:<name>'"),
        (lambda b: b.update(tags={"tier": "gold plated"}), "tags", "at most 63 letters"),
    ],
)
def test_invalid_settings_name_the_field(tmp_path, mutate, field, problem):
    body = _demo()
    mutate(body)
    with pytest.raises(TargetConfigError) as raised:
        load_target(_write(tmp_path, "shop", body))
    assert raised.value.field == field
    assert problem in str(raised.value)


def test_missing_environment_variable_without_default_is_named(tmp_path, monkeypatch):
    monkeypatch.delenv("NO_SUCH_SHOP_URL", raising=False)
    body = _demo()
    body["base_url"] = "${NO_SUCH_SHOP_URL}"
    with pytest.raises(TargetConfigError) as raised:
        load_target(_write(tmp_path, "shop", body))
    assert raised.value.field == "base_url"
    assert "NO_SUCH_SHOP_URL is not set" in str(raised.value)


def test_secret_fields_keep_their_references_and_are_resolved_only_in_the_crawler(tmp_path, monkeypatch):
    monkeypatch.delenv("PROXY_PASSWORD", raising=False)
    body = _demo()
    body["proxies"] = {"urls": ["http://bot:${PROXY_PASSWORD}@127.0.0.1:3128"]}
    path = _write(tmp_path, "shop", body)
    # the crawler runs here (a subprocess): the variable must be set when the file loads
    with pytest.raises(TargetConfigError) as raised:
        load_target(path)
    assert (raised.value.field, raised.value.problem) == (
        "proxies.urls[0]",
        "environment variable PROXY_PASSWORD is not set",
    )
    # the crawler runs in a pod with its own Secret: the reference travels as written
    target = load_target(path, require_secrets=False)
    assert target.proxies.urls == ["http://bot:${PROXY_PASSWORD}@127.0.0.1:3128"]
    with pytest.raises(SecretMissing, match="'proxies.urls\\[0\\]' needs environment variable PROXY_PASSWORD"):
        scrapy_settings(target)
    monkeypatch.setenv("PROXY_PASSWORD", "hunter2")
    assert load_target(path).proxies.urls == ["http://bot:${PROXY_PASSWORD}@127.0.0.1:3128"]
    assert scrapy_settings(target)["SCRAPE_ASSETS_PROXY_URLS"] == ["http://bot:hunter2@127.0.0.1:3128"]


def test_empty_targets_folder_is_an_error(tmp_path):
    with pytest.raises(TargetConfigError, match="no \\*.yaml target files"):
        load_targets(tmp_path)


@pytest.mark.parametrize(
    ("mutate", "field", "problem"),
    [
        (lambda b: b["record"].update(item={"css": "article..book"}), "record.item.css", "does not compile"),
        (
            lambda b: b["record"]["fields"]["category"].update(xpath="//nav/a[lower-case(text())='lamps']/text()"),
            "record.fields.category.xpath",
            "calls unknown function(s): lower-case",
        ),
        (
            lambda b: b["record"].update(item={"xpath": "//article[ex:tag(.)]"}),
            "record.item.xpath",
            "ex:tag",
        ),
        (
            lambda b: b["record"]["fields"]["price"].update(processors=[{"price": "cents"}]),
            "record.fields.price.processors[0]",
            "give amount or currency",
        ),
        (
            lambda b: b["record"]["fields"]["price"].update(processors=["parse_money"]),
            "record.fields.price.processors[0]",
            "unknown processor 'parse_money'",
        ),
        (lambda b: b["record"]["fields"]["sku"].update(multiple=True), "record", "must be a single value"),
        (lambda b: b.update(follow=[{"css": "li.next a", "xpath": "//a"}]), "follow[0]", "exactly one"),
        (
            lambda b: b["record"]["fields"]["title"].update(jsonld="Product"),
            "record.fields.title.jsonld",
            "'Product' is not a schema.org type followed by keys",
        ),
        (
            lambda b: b["record"]["fields"]["title"].update(jsonld="Product.name"),
            "record.fields.title",
            "exactly one of 'css', 'xpath', 'jsonld' or 'microdata'",
        ),
    ],
)
def test_bad_items_processors_and_rules_name_file_and_field(tmp_path, mutate, field, problem):
    body = _demo()
    mutate(body)
    with pytest.raises(TargetConfigError) as raised:
        load_target(_write(tmp_path, "demo_shop", body))
    assert f"demo_shop.yaml: field '{field}" in str(raised.value) and problem in str(raised.value)


def test_unset_sharding_and_concurrency_derive_from_the_frontier_and_the_crawlers_that_can_run():
    target = load_target(DEFAULT_TARGETS_DIR / "demo_shop.yaml")
    sharding = target.sharding
    assert sharding.max_shards is None and sharding.urls_per_shard == 2000
    assert sharding.shard_count(20, parallel_crawlers=2) == 1  # a small day: one crawler, no fan-out toll
    assert sharding.shard_count(48_201, parallel_crawlers=2) == 2  # the seed's day: one per core
    assert sharding.shard_count(48_201, parallel_crawlers=8) == 8  # eight pods
    assert sharding.shard_count(5_000, parallel_crawlers=8) == 3  # never more than the URLs need
    explicit = sharding.model_copy(update={"max_shards": 3})
    assert explicit.shard_count(48_201, parallel_crawlers=8) == 3  # the YAML's cap wins
    # one shard whatever the launcher can run at once: what the step placement relies on
    for spec in (sharding, explicit, sharding.model_copy(update={"max_shards": 1})):
        for count in (0, 2000, 2001, 48_201):
            always_one = all(spec.shard_count(count, parallel_crawlers=n) == 1 for n in (1, 2, 8, 64))
            assert spec.fits_one_shard(count) == always_one, (spec, count)
    settings = scrapy_settings(target)
    assert settings["CONCURRENT_REQUESTS"] == settings["CONCURRENT_REQUESTS_PER_DOMAIN"] == 16
    assert settings["AUTOTHROTTLE_TARGET_CONCURRENCY"] == 16.0
    tuned = target.politeness.model_copy(update={"concurrency": 4, "adaptive_target_concurrency": 2.0})
    assert scrapy_settings(target.model_copy(update={"politeness": tuned}))["AUTOTHROTTLE_TARGET_CONCURRENCY"] == 2.0
