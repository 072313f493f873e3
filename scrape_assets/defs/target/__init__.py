"""The per-target graph: for every target YAML, the same assets, checks, job, schedule or proxy gate,
built by `factory.target_definitions`."""
