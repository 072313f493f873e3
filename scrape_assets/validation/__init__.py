"""Validation: a pandera schema built from the target YAML splits parsed records into valid rows and
quarantined rows (with the failing check). Dagster-free.

- `schema`: the pandera schema and the typed Arrow schema, from the YAML.
- `split`: `validate_records`, the batched valid/quarantine split.
- `summary`: `ValidationSummary`, what a split found (importing it does not import pandera).
- `worker`: `validate_day`, the split of a big day in a spawned process of its own.

Nothing is imported here, so that `summary` can be imported without loading pandera (0.3 s): the
code location loads with the asset checks, and only a process that validates needs pandera.
"""
