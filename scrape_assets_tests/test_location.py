"""The code location built on demand: which target a run's job and selection lie within, what a
process builds for it, and a folder whose bad file leaves out only its own target."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from dagster import AssetCheckKey, AssetKey

from scrape_assets.defs.location import TargetsLocation
from scrape_assets.target_config import TargetConfigError, TargetFolder
from scrape_assets.target_config.loader import DEFAULT_TARGETS_DIR


def _folder(tmp_path: Path, names: list[str], bad: tuple[str, ...] = ()) -> TargetFolder:
    body = yaml.safe_load((DEFAULT_TARGETS_DIR / "demo_shop.yaml").read_text())
    for name in names:
        (tmp_path / f"{name}.yaml").write_text(yaml.safe_dump(body))
    for name in bad:
        broken = {**body, "record": {**body["record"], "key": "no_such_field"}}
        (tmp_path / f"{name}.yaml").write_text(yaml.safe_dump(broken))
    return TargetFolder(tmp_path)


def test_a_job_and_selection_are_traced_to_the_one_target_they_lie_within(tmp_path):
    location = TargetsLocation(_folder(tmp_path, ["shop_a", "shop_b"]), dict)
    a, b = AssetKey(["shop_a", "raw_pages"]), AssetKey(["shop_b", "raw_pages"])
    check = AssetCheckKey(AssetKey(["shop_a", "validated_records"]), "valid_share")
    none: frozenset = frozenset()
    assert location.target_of("daily_shop_a", none, none) == "shop_a"
    assert location.target_of("daily_shop_a", frozenset({a}), frozenset({check})) == "shop_a"
    assert location.target_of("__ASSET_JOB", frozenset({a}), frozenset({check})) == "shop_a"
    assert location.target_of("__ASSET_JOB", frozenset({a, b}), none) is None  # across targets: the whole
    assert location.target_of("__ASSET_JOB", none, none) is None  # no instance to read the run from
    assert location.target_of("daily_shop_c", none, none) is None  # not a target of this folder
    assert location.target_of("pipeline_metrics_job", none, none) is None


def test_a_run_of_one_target_builds_that_target_alone_and_the_same_job_as_the_whole(tmp_path, monkeypatch):
    monkeypatch.setenv("SCRAPE_ASSETS_DATA_DIR", str(tmp_path / "data"))
    from scrape_assets.defs.environment import resources_from_environment

    location = TargetsLocation(_folder(tmp_path, ["shop_a", "shop_b", "shop_c"]), resources_from_environment)
    repository = location.repository()
    job = repository.get_maybe_subset_job_def("daily_shop_b")
    assert not repository.whole_built
    assert location.loaded() == "this process built the definitions of 1 of 3 targets (shop_b)"
    whole = location.whole.resolve_job_def("daily_shop_b")
    assert [node.name for node in job.nodes_in_topological_order] == [
        node.name for node in whole.nodes_in_topological_order
    ]
    assert job.executor_def.name == whole.executor_def.name == "placed_steps"
    assert location.loaded() == "this process built every target's definitions (3 target files)"


def test_a_folder_loads_every_good_file_and_names_each_bad_one(tmp_path):
    folder = _folder(tmp_path, ["shop_a"], bad=("shop_bad",))
    assert folder.names() == ["shop_a", "shop_bad"]
    loaded = folder.load_every()
    assert [target.name for target in loaded.targets] == ["shop_a"]
    [error] = loaded.errors
    assert error.path.name == "shop_bad.yaml" and error.field == "record"
    with pytest.raises(TargetConfigError, match="shop_bad.yaml: field 'record': .*key 'no_such_field'"):
        folder.load("shop_bad")
    with pytest.raises(KeyError, match="no target 'shop_x'"):
        folder.load("shop_x")


def test_sites_declared_as_components_are_indexed_and_built_alone_like_target_files(tmp_path, monkeypatch):
    monkeypatch.setenv("SCRAPE_ASSETS_DATA_DIR", str(tmp_path / "data"))
    from scrape_assets.defs.environment import resources_from_environment

    targets, sites = tmp_path / "targets", tmp_path / "sites"
    targets.mkdir()
    _folder(targets, ["shop_a"])
    body = yaml.safe_load((DEFAULT_TARGETS_DIR / "demo_shop.yaml").read_text())
    for name in ("site_b", "site_c"):
        (sites / name).mkdir(parents=True)
        (sites / name / "defs.yaml").write_text(
            yaml.safe_dump({"type": "scrape_assets.ScrapeTarget", "attributes": body})
        )
    folder = TargetFolder(targets, sites=sites)
    assert folder.names() == ["shop_a", "site_b", "site_c"]
    location = TargetsLocation(folder, resources_from_environment)
    repository = location.repository()
    assert repository.get_maybe_subset_job_def("daily_site_c").name == "daily_site_c"
    assert location.loaded() == "this process built the definitions of 1 of 3 targets (site_c)"
    # a name declared both ways is ambiguous: an error naming both files, and that target left out
    (sites / "shop_a").mkdir()
    (sites / "shop_a" / "defs.yaml").write_text(
        yaml.safe_dump({"type": "scrape_assets.ScrapeTarget", "attributes": body})
    )
    loaded = TargetFolder(targets, sites=sites).load_every()
    [error] = loaded.errors
    assert (
        error.path == sites / "shop_a" / "defs.yaml" and f"also declared by {targets / 'shop_a.yaml'}" in error.problem
    )
    assert [target.name for target in loaded.targets] == ["site_b", "site_c"]
