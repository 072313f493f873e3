"""Parse target YAML files into `TargetConfig`, with errors that name the file and the field."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from scrape_assets.target_config.models import TargetConfig
from scrape_assets.target_config.secrets import SecretNotSet, expand, is_secret_field

DEFAULT_TARGETS_DIR = Path(__file__).resolve().parent.parent / "targets"
DEFAULT_SITES_DIR = Path(__file__).resolve().parent.parent / "sites"  # targets declared as components
# libyaml's parser where PyYAML was built with it (the same safe subset, about 10x faster than the
# pure-Python scanner, which was most of our load time with hundreds of targets)
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class TargetConfigError(ValueError):
    """A target YAML file is invalid. The message names the file, the field and what is wrong."""

    def __init__(self, path: Path, field: str, problem: str):
        self.path = path
        self.field = field
        self.problem = problem
        super().__init__(f"{path}: field '{field}': {problem}")


def _expand_env(value: Any, path: Path, field: str, require_secrets: bool) -> Any:
    """Replace `${VAR}` / `${VAR:-default}` in strings, so ports and hosts can differ per machine.
    Secret fields keep their references (`target_config.secrets`); with `require_secrets` their
    variables must be set here all the same, because the crawler runs in this environment."""
    if isinstance(value, dict):
        return {k: _expand_env(v, path, f"{field}.{k}" if field else str(k), require_secrets) for k, v in value.items()}
    if isinstance(value, list):
        return [_expand_env(v, path, f"{field}[{i}]", require_secrets) for i, v in enumerate(value)]
    if not isinstance(value, str):
        return value
    secret = is_secret_field(field)
    try:
        expanded = expand(value, field)
    except SecretNotSet as missing:
        if secret and not require_secrets:
            return value
        raise TargetConfigError(path, field, f"environment variable {missing.variable} is not set") from None
    return value if secret else expanded


def _field_path(location: tuple[Any, ...]) -> str:
    text = ""
    for part in location:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "<root>"


def read_yaml_mapping(path: Path) -> dict[str, Any]:
    """A YAML file holding a mapping; errors name the file (and the line of a syntax error)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise TargetConfigError(path, "<file>", f"cannot be read: {exc}") from exc
    try:
        raw = yaml.load(text, Loader=SAFE_LOADER)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "unknown position"
        raise TargetConfigError(path, "<yaml>", f"not valid YAML at {where}: {exc}") from exc
    if not isinstance(raw, dict):
        raise TargetConfigError(path, "<root>", "the file must hold a mapping of settings")
    return raw


def target_from_mapping(
    raw: dict[str, Any],
    path: Path,
    name: str,
    require_secrets: bool = True,
    field_prefix: str = "",
    named_by: str = "file",
) -> TargetConfig:
    """A target's settings (as a target YAML holds them) checked into a `TargetConfig`. The target is
    named `name` (its file's or folder's, `named_by`) unless the settings say the same; errors name
    `path` and the field, under `field_prefix` (`attributes` in a component's defs.yaml)."""

    def field(inner: str) -> str:
        return f"{field_prefix}.{inner}" if field_prefix and inner != "<root>" else (field_prefix or inner)

    try:
        raw = _expand_env(raw, path, "", require_secrets)
    except TargetConfigError as error:
        raise TargetConfigError(path, field(error.field), error.problem) from None
    raw.setdefault("name", name)
    if raw["name"] != name:
        raise TargetConfigError(path, field("name"), f"{raw['name']!r} differs from the {named_by} name {name!r}")
    try:
        return TargetConfig.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        problems = "; ".join(f"{_field_path(err['loc'])}: {err['msg']}" for err in exc.errors()[1:])
        extra = f" (also: {problems})" if problems else ""
        raise TargetConfigError(path, field(_field_path(first["loc"])), first["msg"] + extra) from exc


def load_target(path: Path, require_secrets: bool = True) -> TargetConfig:
    """Load one target file. The target's name is the file's stem unless the file says the same.
    `require_secrets=False` where the crawler gets its secrets from another environment (a pod's Secret)."""
    path = Path(path)
    return target_from_mapping(read_yaml_mapping(path), path, path.stem, require_secrets)


def load_targets(directory: Path = DEFAULT_TARGETS_DIR, require_secrets: bool = True) -> list[TargetConfig]:
    """Load every `*.yaml` in a folder, sorted by name. An empty folder is an error."""
    directory = Path(directory)
    files = sorted(directory.glob("*.yaml"))
    if not files:
        raise TargetConfigError(directory, "<folder>", "no *.yaml target files found")
    return [load_target(path, require_secrets) for path in files]
