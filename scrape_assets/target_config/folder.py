"""The targets of a deployment, indexed by name without reading them: the target YAML files of a
folder, and the targets declared as Dagster components (`<sites>/<name>/defs.yaml`).

Listing costs a directory read; a target's file is parsed only when that target is asked for. A code
location of many targets lists them all, builds one target for a run of that target, and builds every
target where Dagster needs the whole graph: there a file that does not load is reported with its
error (file, field, problem) and the other targets load all the same (`FolderLoad`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from scrape_assets.target_config.component_yaml import DEFS_FILE, load_target_component
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
    """The `*.yaml` files of one folder, one target each, named by the file's stem; and, with `sites`,
    the component folders under it, one target each, named by the folder. A name declared both ways
    is an error of the component's file."""

    def __init__(self, directory: Path, require_secrets: bool = True, sites: Path | None = None):
        self.directory = Path(directory)
        self.require_secrets = require_secrets
        self._files = {path.stem: path for path in sorted(self.directory.glob("*.yaml"))}
        self._components = (
            {path.parent.name: path for path in sorted(Path(sites).glob(f"*/{DEFS_FILE}"))} if sites else {}
        )
        if not self._files and not self._components:
            where = f"{self.directory}" + (f" nor a */{DEFS_FILE} under {sites}" if sites else "")
            raise TargetConfigError(self.directory, "<folder>", f"no *.yaml target files found in {where}")

    def names(self) -> list[str]:
        """Every target's name, sorted, from the file and folder names alone."""
        return sorted({*self._files, *self._components})

    def __contains__(self, name: object) -> bool:
        return name in self._files or name in self._components

    def source(self, name: str) -> Path:
        """The file that declares the target."""
        return self._components.get(name) or self._files[name]

    def load(self, name: str) -> TargetConfig:
        """One target, parsed and checked now; errors name its file and field."""
        if name in self._components:
            declared = self._components[name]
            if name in self._files:
                raise TargetConfigError(
                    declared, "<folder>", f"target {name!r} is also declared by {self._files[name]}"
                )
            return load_target_component(declared, self.require_secrets)
        if name not in self._files:
            raise KeyError(f"no target {name!r} in {self.directory} (targets: {', '.join(self.names())})")
        return load_target(self._files[name], self.require_secrets)

    def load_every(self) -> FolderLoad:
        """Every target that loads, and the errors of the files that do not."""
        targets: list[TargetConfig] = []
        errors: list[TargetConfigError] = []
        for name in self.names():
            try:
                targets.append(self.load(name))
            except TargetConfigError as error:
                errors.append(error)
        return FolderLoad(tuple(targets), tuple(errors))
