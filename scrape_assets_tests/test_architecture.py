"""The import rules of ARCHITECTURE.md, enforced: a room imports only rooms of lower layers, the crawl
side imports nothing of Dagster but `dagster_pipes`, and nothing below the orchestrator imports Dagster
or Scrapy where it should not."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import scrape_assets

PACKAGE = Path(scrape_assets.__file__).parent

# Bottom to top. A room may import its own modules and the rooms of lower layers, never a room of its
# own layer or of a higher one. ARCHITECTURE.md shows the same table.
LAYERS: list[set[str]] = [
    {"target_config", "shards", "process_stats"},
    {"page_store"},
    {"crawler", "extraction"},
    {"validation", "delivery"},
    {"dagster_internals", "defs.tags", "defs.metadata", "defs.run_worker"},
    {"defs.executor"},
    {"defs.resources"},
    {"defs.environment", "defs.target"},
    {"defs.operations"},
    {"defs.location"},
    {"definitions", "local_instance", "components"},
    {"demo_site", "try_target", "step_preload"},
    {"demo", "dev", "__main__"},
    {"scrape_assets"},  # the package's own __init__: `scrape_assets.ScrapeTarget`, imported when asked for
]
LAYER_OF = {room: index for index, rooms in enumerate(LAYERS) for room in rooms}
# `__init__.py` files that hold a docstring and nothing else (sites/: the folder of target components)
PACKAGE_MARKERS = {"defs", "sites"}
BELOW_THE_ORCHESTRATOR = {room for rooms in LAYERS[:4] for room in rooms}
# third-party packages a room may import only where named
ONLY_IN = {
    "dagster": {room for rooms in LAYERS[4:] for room in rooms},
    "dagster_pipes": {"crawler"},
    "scrapy": {"crawler"},
    "twisted": {"crawler"},
}


def room_of(module: str) -> str:
    """`scrape_assets.defs.target.assets.raw_pages` -> `defs.target`; `scrape_assets.crawler.run` -> `crawler`."""
    parts = module.split(".")[1:]
    if parts and parts[-1] == "__init__":
        parts = parts[:-1]
    if not parts:
        return "scrape_assets"
    if parts[0] == "defs" and len(parts) > 1:
        return f"defs.{parts[1]}"
    return parts[0]


def _imports(source: str) -> Iterator[tuple[str, int]]:
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module, node.lineno
        elif isinstance(node, ast.Import):
            yield from ((alias.name, node.lineno) for alias in node.names)


def violations(module: str, source: str) -> list[str]:
    """Every import of `module` (given its source) that breaks a rule, as `module:line: why`."""
    room = room_of(module)
    found = []
    for imported, line in _imports(source):
        top = imported.split(".")[0]
        where = f"{module}:{line}"
        if top == "scrape_assets":
            other = room_of(imported)
            if other == room or other in PACKAGE_MARKERS:
                continue
            if other not in LAYER_OF:
                found.append(f"{where}: imports {imported}, a room with no layer in ARCHITECTURE.md")
            elif LAYER_OF[other] >= LAYER_OF[room]:
                found.append(f"{where}: {room} (layer {LAYER_OF[room]}) imports {imported} (layer {LAYER_OF[other]})")
        elif top.startswith("dagster") and top not in ("dagster", "dagster_pipes"):
            if room in BELOW_THE_ORCHESTRATOR:
                found.append(f"{where}: {room} is below the orchestrator and imports {imported}")
        elif top in ONLY_IN and room not in ONLY_IN[top]:
            found.append(f"{where}: {room} imports {imported}, allowed only in {sorted(ONLY_IN[top])}")
    return found


def _modules() -> Iterator[tuple[str, str]]:
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE.parent).with_suffix("")
        yield ".".join(relative.parts), path.read_text()


def test_every_room_of_the_package_has_a_layer():
    rooms = {room_of(module) for module, _ in _modules()} - PACKAGE_MARKERS
    assert rooms <= set(LAYER_OF), f"rooms with no layer: {sorted(rooms - set(LAYER_OF))}"


def test_package_markers_hold_no_code():
    for module, source in _modules():
        if room_of(module) in PACKAGE_MARKERS and module.endswith("__init__"):
            body = ast.parse(source).body
            assert all(isinstance(node, ast.Expr) for node in body), f"{module} holds code; give it a layer"


def test_no_module_imports_upward_and_the_crawl_side_imports_only_dagster_pipes():
    found = [v for module, source in _modules() for v in violations(module, source)]
    assert not found, "\n".join(found)


def test_an_upward_import_is_reported():
    """The checker itself: each kind of breach is caught, so the test above can fail."""
    upward = violations(
        "scrape_assets.page_store.store", "from scrape_assets.defs.target.factory import target_definitions"
    )
    sideways = violations("scrape_assets.crawler.run", "import scrape_assets.extraction.extract")
    dagster_in_crawler = violations("scrape_assets.crawler.run", "from dagster import asset")
    dagster_lib_in_delivery = violations("scrape_assets.delivery.duckdb_replace", "import dagster_duckdb")
    lazy = violations(
        "scrape_assets.defs.target.assets.raw_pages",
        "def f():\n    from scrape_assets.defs.operations.run_history import target_of\n",
    )
    scrapy_in_orchestrator = violations("scrape_assets.defs.resources.crawl_launcher", "from scrapy import Spider")
    allowed = violations("scrape_assets.crawler.run", "from dagster_pipes import open_dagster_pipes")
    assert upward and "page_store (layer 1) imports scrape_assets.defs.target.factory (layer 7)" in upward[0]
    assert sideways and dagster_in_crawler and dagster_lib_in_delivery and lazy and scrapy_in_orchestrator
    assert allowed == []


def _documented_layers() -> list[set[str]]:
    """The layer table of ARCHITECTURE.md, as sets of room names."""
    text = (PACKAGE.parent / "ARCHITECTURE.md").read_text()
    rows = re.findall(r"^\s*\| (\d+) \| (.+?) \|\s*$", text, flags=re.MULTILINE)
    return [{room.strip().strip("`") for room in rooms.split(",")} for _, rooms in rows]


def test_architecture_md_shows_the_enforced_layers_and_every_room():
    assert _documented_layers() == LAYERS
    text = (PACKAGE.parent / "ARCHITECTURE.md").read_text()
    top = {path.stem if path.is_file() else path.name for path in PACKAGE.iterdir() if not path.name.startswith("_")}
    rooms = top | {path.name for path in (PACKAGE / "defs").iterdir() if not path.name.startswith("_")}
    missing = sorted(name for name in rooms - {"py", "targets"} if name not in text)
    assert not missing, f"rooms ARCHITECTURE.md does not mention: {missing}"
