"""Secret fields of a target YAML: `${VAR}` references kept as written, resolved only where used.

Everywhere else in a target file `${VAR}` and `${VAR:-default}` are expanded when the file loads. In
a secret field (`SECRET_FIELDS`, e.g. a proxy URL with credentials) the reference travels as text:
in the parsed config, in the Pipes extras sent to a crawler, in a pod spec. The process that uses the
value (the crawler, or the proxy gate sensor) resolves it from its own environment, which in
Kubernetes gets it from a Secret. A new secret field is one more entry in `SECRET_FIELDS`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping

ENV_REFERENCE = re.compile(r"\$\{(?P<name>[A-Z_][A-Z0-9_]*)(?::-(?P<default>[^}]*))?\}")
# dotted paths in the YAML; a list field covers each of its items
SECRET_FIELDS = frozenset({"proxies.urls"})
_INDEX = re.compile(r"\[\d+\]")


class SecretNotSet(ValueError):
    """A secret field names an environment variable that this process's environment lacks."""

    def __init__(self, field: str, variable: str):
        self.field = field
        self.variable = variable
        super().__init__(
            f"field '{field}' needs environment variable {variable}, which is not set in this "
            f"process's environment (pid {os.getpid()})"
        )


def is_secret_field(field: str) -> bool:
    """Whether a field path (`proxies.urls[2]`) is, or is an item of, a secret field."""
    return _INDEX.sub("", field) in SECRET_FIELDS


def expand(text: str, field: str, environ: Mapping[str, str] | None = None) -> str:
    """`text` with each `${VAR}` / `${VAR:-default}` replaced from `environ` (this process's by default)."""
    env = os.environ if environ is None else environ

    def substitute(match: re.Match[str]) -> str:
        name, default = match.group("name"), match.group("default")
        if name in env:
            return env[name]
        if default is None:
            raise SecretNotSet(field, name)
        return default

    return ENV_REFERENCE.sub(substitute, text)


def expand_list(values: list[str], field: str, environ: Mapping[str, str] | None = None) -> list[str]:
    """Each item of a list field expanded (`field[i]` named when a variable is missing)."""
    return [expand(value, f"{field}[{index}]", environ) for index, value in enumerate(values)]
