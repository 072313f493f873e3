"""Editing a copied target YAML in a test: what a user changes in their file."""

from __future__ import annotations

from pathlib import Path

import yaml


def update_target_yaml(path: Path, sections: dict[str, dict]) -> None:
    """Change sections of the YAML at `path` (e.g. `{"politeness": {"max_tries": 6}}`): a mapping
    section is updated key by key, any other value replaced."""
    body = yaml.safe_load(path.read_text())
    for section, values in sections.items():
        if isinstance(body.get(section), dict):
            body[section].update(values)
        else:
            body[section] = values
    path.write_text(yaml.safe_dump(body))
