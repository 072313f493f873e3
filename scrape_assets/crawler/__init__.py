"""The crawl side: Scrapy code that runs in a worker process or pod, launched through Dagster Pipes.

Nothing here imports Dagster beyond `dagster_pipes`. Entry point: `python -m scrape_assets.crawler`.
"""
