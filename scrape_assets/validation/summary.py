"""What a validation run found: row counts, failures by check, and field presence. No pandera here:
the asset checks read it, and they load with the code location."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from scrape_assets.target_config.models import TargetConfig


@dataclass
class ValidationSummary:
    """Rows in, valid, quarantined; failures by `field: check`; non-null counts per field over all rows."""

    rows: int = 0
    valid: int = 0
    quarantined: int = 0
    failures: Counter = field(default_factory=Counter)
    present: Counter = field(default_factory=Counter)

    def completeness(self, target: TargetConfig) -> dict[str, float]:
        """Share of all parsed rows (valid and quarantined) in which each field was present."""
        return {name: (self.present[name] / self.rows if self.rows else 0.0) for name in target.record.fields}
