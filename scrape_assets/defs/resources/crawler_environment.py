"""The environment a crawler subprocess starts with: an allow-list, never the orchestrator's whole one.

The crawler parses untrusted HTML; the step that launches it holds the warehouse password, the alert
webhook, the instance's database URL. The crawler gets only what it reads:
- what any Python process needs (`PROCESS_VARIABLES`: PATH, HOME, locale, TZ, TMPDIR, PYTHON*, CA files);
- for an S3 page store, boto3's own variables (`AWS_*`), which it writes with;
- the variables the target's secret fields name (`${PROXY_PASSWORD}` in `proxies.urls`);
- the variables an operator lists in `SCRAPE_ASSETS_CRAWLER_PASS_ENV` (names, comma-separated);
- then, set by the launcher: the Pipes bootstrap, the lifeline's parent pid, the Redis URL (from `EnvVar`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from scrape_assets.target_config.secrets import ENV_REFERENCE, SECRET_FIELDS

PROCESS_VARIABLES = frozenset(
    {
        "PATH",
        "HOME",
        "USER",
        "LOGNAME",
        "LANG",
        "LANGUAGE",
        "TZ",
        "TMPDIR",
        "VIRTUAL_ENV",
        "PYTHONPATH",
        "PYTHONHASHSEED",
        "PYTHONUNBUFFERED",
        "PYTHONDONTWRITEBYTECODE",
        "PYTHONIOENCODING",
        "SSL_CERT_FILE",
        "SSL_CERT_DIR",
    }
)
PROCESS_PREFIXES = ("LC_",)
S3_PREFIXES = ("AWS_",)


def _field_values(target: Mapping[str, Any], dotted: str) -> list[str]:
    """The text values of a dotted field of a target config dumped as JSON (a list field: its items)."""
    value: Any = target
    for part in dotted.split("."):
        value = value.get(part) if isinstance(value, Mapping) else None
    if isinstance(value, str):
        return [value]
    return [item for item in value if isinstance(item, str)] if isinstance(value, list) else []


def secret_variables(target: Mapping[str, Any]) -> set[str]:
    """The environment variables the target's secret fields refer to (`${VAR}`)."""
    return {
        match.group("name")
        for field in SECRET_FIELDS
        for text in _field_values(target, field)
        for match in ENV_REFERENCE.finditer(text)
    }


def crawler_environment(environ: Mapping[str, str], extras: Mapping[str, Any], passed: Iterable[str] = ()) -> dict:
    """The part of `environ` a crawler of this job (its Pipes `extras`) may see."""
    names = set(PROCESS_VARIABLES) | secret_variables(extras.get("target", {})) | set(passed)
    prefixes = PROCESS_PREFIXES + (S3_PREFIXES if extras.get("page_store", {}).get("kind") == "s3" else ())
    return {name: value for name, value in environ.items() if name in names or name.startswith(prefixes)}
