"""The crawler's environment allow-list (`defs/resources/crawler_environment.py`), as pure logic."""

from __future__ import annotations

from scrape_assets.defs.resources.crawler_environment import crawler_environment, secret_variables

ORCHESTRATOR = {
    "PATH": "/usr/bin",
    "LC_ALL": "C.UTF-8",
    "AWS_SECRET_ACCESS_KEY": "s3-key",
    "SNOWFLAKE_PASSWORD": "warehouse",
    "PROXY_PASSWORD": "proxy",
    "OPERATOR_CA": "/etc/ca.pem",
}
TARGET = {"name": "shop", "proxies": {"urls": ["http://u:${PROXY_PASSWORD}@p1:8080", "http://p2:8080"]}}


def test_secret_variables_are_the_names_the_targets_secret_fields_refer_to():
    assert secret_variables(TARGET) == {"PROXY_PASSWORD"}
    assert secret_variables({"name": "shop"}) == set()


def test_a_local_crawl_gets_the_basics_and_its_proxy_secret_only():
    extras = {"target": TARGET, "page_store": {"kind": "local", "root": "/data/pages"}}
    assert crawler_environment(ORCHESTRATOR, extras) == {
        "PATH": "/usr/bin",
        "LC_ALL": "C.UTF-8",
        "PROXY_PASSWORD": "proxy",
    }


def test_an_s3_crawl_gets_boto3s_variables_and_an_operator_adds_names():
    extras = {"target": {"name": "shop"}, "page_store": {"kind": "s3", "bucket": "b"}}
    seen = crawler_environment(ORCHESTRATOR, extras, passed=["OPERATOR_CA"])
    assert seen == {
        "PATH": "/usr/bin",
        "LC_ALL": "C.UTF-8",
        "AWS_SECRET_ACCESS_KEY": "s3-key",
        "OPERATOR_CA": "/etc/ca.pem",
    }
