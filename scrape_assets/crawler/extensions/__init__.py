"""Scrapy extensions: one behaviour each."""
