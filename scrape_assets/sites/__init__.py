"""Targets declared as Dagster components: a folder per site holding its defs.yaml.

`dg scaffold defs scrape_assets.ScrapeTarget NAME` writes one; the code location reads them beside
the targets folder (`target_config/folder.py`)."""
