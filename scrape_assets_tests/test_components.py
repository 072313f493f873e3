"""Targets as Dagster components, through `dg` as a user runs it: scaffold a site, check it, list it,
launch its day; a bad defs.yaml is named by file and field; the published schema is current."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import jsonschema
import pytest
import yaml

from scrape_assets.components import SCHEMA_FILE, target_schema
from scrape_assets.demo_site.catalog import Catalog
from scrape_assets.target_config.loader import DEFAULT_TARGETS_DIR

REPO = Path(__file__).resolve().parent.parent
DG = Path(sys.executable).with_name("dg")
PRODUCTS = 20
DAY = "2026-11-20"


def _project(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """A copy of this project (its package, pyproject.toml, workspace.yaml) that dg runs in and scaffolds
    into, importing the copy's package first; data and instance of its own."""
    root = tmp_path / "project"
    root.mkdir()
    shutil.copytree(REPO / "scrape_assets", root / "scrape_assets", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "workspace.yaml"):
        shutil.copy(REPO / name, root / name)
    (root / "home").mkdir()
    env = {
        **os.environ,
        "PYTHONPATH": str(root),
        "PATH": f"{DG.parent}{os.pathsep}{os.environ['PATH']}",
        "SCRAPE_ASSETS_DATA_DIR": str(root / "data"),
        "DAGSTER_HOME": str(root / "home"),
    }
    for name in ("SCRAPE_ASSETS_TARGETS_DIR", "SCRAPE_ASSETS_SITES_DIR", "REDIS_URL"):
        env.pop(name, None)
    return root, env


def _dg(root: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(DG), *args], cwd=root, env=env, capture_output=True, text=True, timeout=600, stdin=subprocess.DEVNULL
    )


@pytest.mark.e2e
def test_a_scaffolded_site_checks_lists_and_launches_its_day_through_dg(tmp_path, start_site):
    root, env = _project(tmp_path)
    scaffolded = _dg(root, env, "scaffold", "defs", "scrape_assets.ScrapeTarget", "my_shop")
    assert scaffolded.returncode == 0, scaffolded.stdout + scaffolded.stderr
    defs_yaml = root / "scrape_assets" / "sites" / "my_shop" / "defs.yaml"
    declared = yaml.safe_load(defs_yaml.read_text())
    assert declared["type"] == "scrape_assets.ScrapeTarget"
    assert declared["attributes"]["record"]["key"] == "sku"  # the demo target's settings, commented
    assert "# links followed" in defs_yaml.read_text()

    checked = _dg(root, env, "check", "defs")
    assert checked.returncode == 0, checked.stdout + checked.stderr

    listed = _dg(root, env, "list", "defs", "--json")
    assert listed.returncode == 0, listed.stderr
    defs = json.loads(listed.stdout)
    assert {a["asset_key"] for a in defs["assets"] if a["group_name"] == "my_shop"} == {
        f"my_shop/{name}"
        for name in (
            "url_frontier",
            "raw_pages",
            "parsed_records",
            "validated_records",
            "quarantined_records",
            "delivered_my_shop",
        )
    }
    assert "my_shop/validated_records:valid_share" in {check["key"] for check in defs["asset_checks"]}
    assert "daily_my_shop" in {job["name"] for job in defs["jobs"]}
    assert "daily_my_shop_schedule" in {schedule["name"] for schedule in defs["schedules"]}

    site = start_site(PRODUCTS)
    launched = _dg(
        root, {**env, "DEMO_SHOP_URL": site.url}, "launch", "--assets", 'key:"my_shop/*"', "--partition", DAY
    )
    assert launched.returncode == 0, (launched.stdout + launched.stderr)[-4000:]
    with duckdb.connect(str(root / "data" / "warehouse.duckdb"), read_only=True) as conn:
        rows = conn.execute(
            "SELECT sku, title, price FROM delivered_my_shop WHERE partition_date = CAST(? AS DATE) ORDER BY sku",
            [DAY],
        ).fetchall()
    catalog = Catalog(PRODUCTS, 7)
    products = [catalog.product(n) for n in range(1, PRODUCTS + 1)]
    assert rows == sorted((p.sku, p.title, p.price) for p in products if p is not None)


def test_a_bad_defs_yaml_fails_dg_check_defs_naming_its_file_and_field(tmp_path):
    root, env = _project(tmp_path)
    # a good one first: the listing-only example, whose processors use the YAML's shorthand forms
    books = root / "scrape_assets" / "sites" / "books_shop"
    books.mkdir()
    example = yaml.safe_load((DEFAULT_TARGETS_DIR / "examples" / "demo_books.yaml").read_text())
    example.pop("name", None)
    (books / "defs.yaml").write_text(yaml.safe_dump({"type": "scrape_assets.ScrapeTarget", "attributes": example}))
    checked = _dg(root, env, "check", "defs")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    site = root / "scrape_assets" / "sites" / "bad_shop"
    site.mkdir()
    settings = yaml.safe_load((DEFAULT_TARGETS_DIR / "demo_shop.yaml").read_text())
    for field, value, says in (
        ("type", "money", "'money' is not one of"),  # the schema says it, with the line
        ("css", "span.price[::text", "css selector 'span.price[::text' does not compile"),  # our model says it
    ):
        broken = yaml.safe_load(yaml.safe_dump(settings))
        broken["record"]["fields"]["price"][field] = value
        (site / "defs.yaml").write_text(yaml.safe_dump({"type": "scrape_assets.ScrapeTarget", "attributes": broken}))
        checked = _dg(root, env, "check", "defs")
        output = checked.stdout + checked.stderr
        assert checked.returncode == 1, output
        assert "bad_shop/defs.yaml" in output and f"attributes.record.fields.price.{field}" in output, output
        assert says in output, output


def _as_editor_reads(path: Path) -> dict:
    """The YAML as an editor's YAML 1.2 schema check reads it: dates are strings."""
    return json.loads(json.dumps(yaml.safe_load(path.read_text()), default=str))


def test_the_published_target_schema_is_current_and_accepts_every_bundled_target():
    assert json.loads(SCHEMA_FILE.read_text()) == target_schema(), (
        "scrape_assets/sites/target.schema.json is stale: write it again with "
        "`python -c 'from scrape_assets.components import write_schema; write_schema()'`"
    )
    files = [DEFAULT_TARGETS_DIR / "demo_shop.yaml", *sorted((DEFAULT_TARGETS_DIR / "examples").glob("*.yaml"))]
    for path in files:
        jsonschema.validate(_as_editor_reads(path), target_schema())
    with pytest.raises(jsonschema.ValidationError, match="'money' is not one of"):
        broken = _as_editor_reads(files[0])
        broken["record"]["fields"]["price"]["type"] = "money"
        jsonschema.validate(broken, target_schema())
