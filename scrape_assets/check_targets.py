"""`python -m scrape_assets check [FOLDER]`: every target file of a folder loaded as the code location
loads it, each error printed (file, field, problem); exit 1 if any file does not load.

The code location itself leaves a bad file's target out and loads the others (`defs/location.py`);
this is the command that fails, for CI and for a person about to deploy. FOLDER defaults to the
environment's targets folder (`SCRAPE_ASSETS_TARGETS_DIR`, else the bundled one)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from scrape_assets.defs.environment import crawler_shares_this_environment, targets_dir
from scrape_assets.target_config import TargetConfigError, TargetFolder


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m scrape_assets check", description=__doc__.splitlines()[0])
    parser.add_argument("folder", nargs="?", type=Path, help="the targets folder (default: the environment's)")
    args = parser.parse_args(argv)
    try:
        folder = TargetFolder(args.folder or targets_dir(), require_secrets=crawler_shares_this_environment())
    except TargetConfigError as empty:
        print(empty, file=sys.stderr)
        return 1
    loaded = folder.load_every()
    for error in loaded.errors:
        print(error, file=sys.stderr)
    print(f"{len(loaded.targets)} of {len(folder.names())} target file(s) in {folder.directory} load")
    return 1 if loaded.errors else 0
