"""A folder of target YAML files, indexed by target name without reading them.

Listing costs a directory read; a target's file is parsed only when that target is asked for. A code
location of many targets lists them all, builds one target for a run of that target, and builds every
target where Dagster needs the whole graph: there a file that does not load is reported with its
error (file, field, problem) and the other targets load all the same (`FolderLoad`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from scrape_assets.target_config.loader import TargetConfigError, load_target
from scrape_assets.target_config.models import TargetConfig


class TargetFilesInvalid(ValueError):
    """Target files that did not load, each named with its field and problem (one per line)."""

    def __init__(self, errors: tuple[TargetConfigError, ...]):
        self.errors = errors
        super().__init__(f"{len(errors)} target file(s) did not load:\n" + "\n".join(f"- {e}" for e in errors))


@dataclass(frozen=True)
class FolderLoad:
    """Every target of a folder that loaded, and the error of each file that did not."""

    targets: tuple[TargetConfig, ...]
    errors: tuple[TargetConfigError, ...]


class TargetFolder:
    """The `*.yaml` files of one folder, one target each, named by the file's stem."""

    def __init__(self, directory: Path, require_secrets: bool = True):
        self.directory = Path(directory)
        self.require_secrets = require_secrets
        files = sorted(self.directory.glob("*.yaml"))
        if not files:
            raise TargetConfigError(self.directory, "<folder>", "no *.yaml target files found")
        self._files = {path.stem: path for path in files}

    def names(self) -> list[str]:
        """Every target's name, sorted, from the file names alone."""
        return list(self._files)

    def __contains__(self, name: object) -> bool:
        return name in self._files

    def load(self, name: str) -> TargetConfig:
        """One target, parsed and checked now; errors name its file and field."""
        if name not in self._files:
            raise KeyError(f"no target {name!r} in {self.directory} (targets: {', '.join(self.names())})")
        return load_target(self._files[name], self.require_secrets)

    def load_every(self) -> FolderLoad:
        """Every target that loads, and the errors of the files that do not."""
        targets: list[TargetConfig] = []
        errors: list[TargetConfigError] = []
        for name in self._files:
            try:
                targets.append(self.load(name))
            except TargetConfigError as error:
                errors.append(error)
        return FolderLoad(tuple(targets), tuple(errors))
