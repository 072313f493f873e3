"""Imported last by each run's forkserver (`defs/executor.py`): the code location's repository
resolved once, and everything imported so far frozen out of the garbage collector's reach, so that the
step processes forked from it neither resolve the repository again nor copy the forkserver's memory
when the collector walks it (Python's advice for forking servers: `gc.freeze`)."""

import gc

from scrape_assets.definitions import defs

defs.get_repository_def()
gc.freeze()
