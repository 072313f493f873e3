"""The checks of a target's day: the record checks, declared and evaluated (`record_checks`); the
crawl's completeness (`crawl_complete`); earlier days' figures for the drift checks (`history`); and
the guard that keeps a failed day out of the table (`delivery_guard`)."""
