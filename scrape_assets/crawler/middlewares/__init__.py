"""Scrapy downloader middlewares: one behaviour each, configured by `SCRAPE_ASSETS_*` settings."""
