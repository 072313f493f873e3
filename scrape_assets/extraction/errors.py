"""Why extraction refuses to produce records."""

from __future__ import annotations


class SelectorNotFound(Exception):
    """A required field's selector matched nothing on more than the allowed share of record pages:
    the page layout most likely changed. Names the field, the selector and example URLs."""

    def __init__(
        self,
        target: str,
        field: str,
        selector: str,
        missing: int,
        pages: int,
        allowed_share: float,
        examples: list[str],
    ):
        self.target, self.field, self.selector = target, field, selector
        self.missing, self.pages, self.allowed_share, self.examples = missing, pages, allowed_share, examples
        super().__init__(
            f"target {target!r}: required field {field!r} selector {selector!r} matched nothing on "
            f"{missing} of {pages} record pages ({missing / pages:.0%}, allowed {allowed_share:.0%}); "
            f"examples: {', '.join(examples)}. Fix the selector in the target YAML and re-execute from "
            "failure: the stored pages are kept."
        )


class NoRecordPages(Exception):
    """The partition's page store holds no successful record page to extract from."""
