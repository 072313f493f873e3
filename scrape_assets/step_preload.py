"""Imported last by each run's forkserver (`defs/executor.py`): the code location's modules imported
once, and everything imported so far frozen out of the garbage collector's reach, so that the step
processes forked from it do not import them again nor copy the forkserver's memory when the
collector walks it (Python's advice for forking servers: `gc.freeze`). Each step process builds only
its own target's definitions (`defs/location.py`), which costs the same whatever the number of
targets, so the forkserver does not build them for it."""

import gc

import scrape_assets.definitions  # noqa: F401

gc.freeze()
