"""Parse target YAML files into `TargetConfig`, with errors that name the file and the field."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from scrape_assets.target_config.models import TargetConfig

_ENV_REFERENCE = re.compile(r"\$\{(?P<name>[A-Z_][A-Z0-9_]*)(?::-(?P<default>[^}]*))?\}")
DEFAULT_TARGETS_DIR = Path(__file__).resolve().parent.parent / "targets"


class TargetConfigError(ValueError):
    """A target YAML file is invalid. The message names the file, the field and what is wrong."""

    def __init__(self, path: Path, field: str, problem: str):
        self.path = path
        self.field = field
        self.problem = problem
        super().__init__(f"{path}: field '{field}': {problem}")


def _expand_env(value: Any, path: Path, field: str) -> Any:
    """Replace `${VAR}` / `${VAR:-default}` in strings, so ports and hosts can differ per machine."""
    if isinstance(value, dict):
        return {k: _expand_env(v, path, f"{field}.{k}" if field else str(k)) for k, v in value.items()}
    if isinstance(value, list):
        return [_expand_env(v, path, f"{field}[{i}]") for i, v in enumerate(value)]
    if not isinstance(value, str):
        return value

    def substitute(match: re.Match[str]) -> str:
        name, default = match.group("name"), match.group("default")
        if name in os.environ:
            return os.environ[name]
        if default is None:
            raise TargetConfigError(path, field, f"environment variable {name} is not set")
        return default

    return _ENV_REFERENCE.sub(substitute, value)


def _field_path(location: tuple[Any, ...]) -> str:
    text = ""
    for part in location:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "<root>"


def load_target(path: Path) -> TargetConfig:
    """Load one target file. The target's name is the file's stem unless the file says the same."""
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "unknown position"
        raise TargetConfigError(path, "<yaml>", f"not valid YAML at {where}: {exc}") from exc
    if not isinstance(raw, dict):
        raise TargetConfigError(path, "<root>", "the file must hold a mapping of settings")
    raw = _expand_env(raw, path, "")
    raw.setdefault("name", path.stem)
    if raw["name"] != path.stem:
        raise TargetConfigError(path, "name", f"{raw['name']!r} differs from the file name {path.stem!r}")
    try:
        return TargetConfig.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        problems = "; ".join(
            f"{_field_path(err['loc'])}: {err['msg']}" for err in exc.errors()[1:]
        )
        extra = f" (also: {problems})" if problems else ""
        raise TargetConfigError(path, _field_path(first["loc"]), first["msg"] + extra) from exc


def load_targets(directory: Path = DEFAULT_TARGETS_DIR) -> list[TargetConfig]:
    """Load every `*.yaml` in a folder, sorted by name. An empty folder is an error."""
    directory = Path(directory)
    files = sorted(directory.glob("*.yaml"))
    if not files:
        raise TargetConfigError(directory, "<folder>", "no *.yaml target files found")
    return [load_target(path) for path in files]
