"""scrape-assets: a Dagster code location that turns scraping scripts into a data supply chain."""
