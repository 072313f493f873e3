"""The Scrapy floor for the crawl-ceiling figure: a plain `scrapy.Spider` with Scrapy's default
settings (robots.txt off, 16 concurrent requests, no middleware or extension of ours) that fetches the
URLs of a stored frontier and does nothing with the responses. Prints one JSON line.

  python bench/plain_crawl.py FRONTIER_JSONL
"""

from __future__ import annotations

import json
import sys
import time

import scrapy
from scrapy.crawler import CrawlerProcess


class PlainSpider(scrapy.Spider):
    name = "plain"

    def __init__(self, urls: list[str], **kwargs):
        super().__init__(**kwargs)
        self.urls = urls

    async def start(self):
        for url in self.urls:
            yield scrapy.Request(url, dont_filter=True)

    def parse(self, response):
        return None


def main() -> int:
    with open(sys.argv[1]) as lines:
        urls = [json.loads(line)["url"] for line in lines if line.strip()]
    process = CrawlerProcess(
        {
            "LOG_LEVEL": "WARNING",
            "TELNETCONSOLE_ENABLED": False,
            "CONCURRENT_REQUESTS": 16,
            "CONCURRENT_REQUESTS_PER_DOMAIN": 16,
            "ROBOTSTXT_OBEY": False,
        }
    )
    crawler = process.create_crawler(PlainSpider)
    process.crawl(crawler, urls=urls)
    started = time.perf_counter()
    process.start()
    seconds = time.perf_counter() - started
    pages = crawler.stats.get_value("response_received_count", 0)
    print(json.dumps({"seconds": seconds, "crawl_seconds": seconds, "pages": pages}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
