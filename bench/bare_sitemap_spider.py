"""The seed_day figure's baseline: what a scraping team writes without us. One Scrapy `SitemapSpider`
that reads the sitemaps robots.txt names (gzipped children included), fetches every product page at
concurrency 32 and parses it in the spider with the target YAML's own selectors, writing items to a
JSON-lines file. No politeness beyond Scrapy's defaults, no page store, no validation. Prints one JSON
line: seconds, items, distinct keys.

  python bench/bare_sitemap_spider.py BASE_URL OUT_JSONL
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from scrapy.crawler import CrawlerProcess
from scrapy.spiders import SitemapSpider

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from scrape_assets.target_config import load_target  # noqa: E402
from scrape_assets.target_config.loader import DEFAULT_TARGETS_DIR  # noqa: E402

FIELDS = {
    name: spec
    for name, spec in load_target(DEFAULT_TARGETS_DIR / "demo_shop.yaml").record.fields.items()
    if spec.css or spec.xpath
}


class ShopSpider(SitemapSpider):
    name = "shop"
    sitemap_rules = [(r"/product/\d+$", "parse_product")]

    def parse_product(self, response):
        item = {}
        for name, spec in FIELDS.items():
            selected = response.css(spec.css) if spec.css else response.xpath(str(spec.xpath))
            item[name] = selected.getall() if spec.is_list else selected.get()
        yield item


def main() -> int:
    base, out = sys.argv[1].rstrip("/"), Path(sys.argv[2])
    process = CrawlerProcess(
        {
            "LOG_LEVEL": "WARNING",
            "TELNETCONSOLE_ENABLED": False,
            "CONCURRENT_REQUESTS": 32,
            "CONCURRENT_REQUESTS_PER_DOMAIN": 32,
            "FEEDS": {str(out): {"format": "jsonlines", "overwrite": True}},
        }
    )
    crawler = process.create_crawler(ShopSpider)
    process.crawl(crawler, sitemap_urls=[f"{base}/robots.txt"])
    started = time.perf_counter()
    process.start()
    seconds = time.perf_counter() - started
    keys = {json.loads(line).get("sku") for line in out.open() if line.strip()}
    items = crawler.stats.get_value("item_scraped_count", 0)
    print(json.dumps({"seconds": seconds, "items": items, "distinct_keys": len(keys - {None})}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
