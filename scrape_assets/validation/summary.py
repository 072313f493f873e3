"""What a validation run found: row counts, failures by check, and field presence. No pandera here:
the asset checks read it, and they load with the code location."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from scrape_assets.target_config.models import TargetConfig


@dataclass
class ValidationSummary:
    """Rows in, valid, quarantined, collapsed; failures by `field: check`; non-null counts per field over the valid
    rows (a value counts once it survived type coercion and every check: what would be delivered)."""

    rows: int = 0
    pages: int = 0  # record pages the rows came from (one row per page, or several with `record.item`)
    valid: int = 0
    quarantined: int = 0
    collapsed: int = 0  # identical copies of an earlier record under the same key: dropped, not quarantined
    failures: Counter = field(default_factory=Counter)
    present: Counter = field(default_factory=Counter)
    # non-empty page text per field over every distinct parsed record, valid or not: what the pages held
    raw_present: Counter = field(default_factory=Counter)

    def completeness(self, target: TargetConfig) -> dict[str, float]:
        """Share of the valid rows in which each field holds a value (0.0 for every field of a day
        without valid rows)."""
        return {name: (self.present[name] / self.valid if self.valid else 0.0) for name in target.record.fields}

    def raw_completeness(self, target: TargetConfig) -> dict[str, float]:
        """Share of the distinct parsed records whose page held each field (before any check)."""
        return {name: (self.raw_present[name] / self.records if self.records else 0.0) for name in target.record.fields}

    @property
    def records(self) -> int:
        """Distinct records parsed: rows less the identical copies collapsed."""
        return self.rows - self.collapsed

    @property
    def valid_share(self) -> float:
        """Valid records over distinct parsed records (0.0 for a day without any)."""
        return self.valid / self.records if self.records else 0.0

    def top_reasons(self, limit: int = 10) -> list[tuple[str, int]]:
        """The most frequent quarantine reasons (`field: check`) with their counts."""
        return self.failures.most_common(limit)
