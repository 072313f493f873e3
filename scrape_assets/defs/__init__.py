"""The orchestrator side: Dagster assets, checks, jobs, schedules and resources built per target."""
