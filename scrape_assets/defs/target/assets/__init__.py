"""Asset builders: each returns the asset(s) of one stage for one target."""
