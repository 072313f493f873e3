"""Which links a page's crawl follows: regex and selector rules, record pages, canonical de-duplication."""

from __future__ import annotations

from parsel import Selector

from scrape_assets.crawler.links import links_to_follow
from scrape_assets.target_config.models import TargetConfig

PAGE = """<html><body>
<a href="/books?page=2&amp;sort=price">2</a>
<a href="/books?sort=price&amp;page=2">2 again, parameters in another order</a>
<a href="/books?page=2&amp;sort=price#top">2 again, with a fragment</a>
<li class="next"><a href="/next-page">next</a></li>
<a href="/item/7">a record</a>
<a href="/about">not asked for</a>
<a href="http://elsewhere.example/books?page=3">another site</a>
</body></html>"""


def _target(follow: list) -> TargetConfig:
    return TargetConfig.model_validate(
        {
            "name": "shop",
            "base_url": "http://shop.test/",
            "allowed_domains": ["shop.test"],
            "start_urls": ["/"],
            "follow": follow,
            "record_url_pattern": r"/item/\d+$",
            "record": {"key": "id", "fields": {"id": {"css": "span::text", "required": True}}},
        }
    )


def test_regex_and_selector_rules_pick_links_once_in_canonical_form():
    target = _target([r"/books\?", {"css": "li.next a"}])
    links = links_to_follow(target, "http://shop.test/books", Selector(text=PAGE))
    assert links == [
        "http://shop.test/next-page",
        "http://shop.test/books?page=2&sort=price",
        "http://shop.test/item/7",
    ]


def test_a_selector_may_pick_href_attributes_as_well_as_link_elements():
    target = _target([{"xpath": "//li[@class='next']/a/@href"}])
    assert links_to_follow(target, "http://shop.test/books", Selector(text=PAGE)) == [
        "http://shop.test/next-page",
        "http://shop.test/item/7",
    ]


def test_links_already_done_are_left_out_in_canonical_form():
    target = _target([r"/books\?"])
    done = {"http://shop.test/books?page=2&sort=price"}
    assert links_to_follow(target, "http://shop.test/", Selector(text=PAGE), skip=done) == ["http://shop.test/item/7"]


def test_without_rules_only_record_pages_are_followed():
    links = links_to_follow(_target([]), "http://shop.test/", Selector(text=PAGE))
    assert links == ["http://shop.test/item/7"]
