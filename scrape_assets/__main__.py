"""`python -m scrape_assets COMMAND`: the project's command line. Commands: `try` (try a target YAML
on a few pages; see `scrape_assets/try_target.py`) and `check` (load every target file of a folder,
failing on any that does not load; see `scrape_assets/check_targets.py`)."""

from __future__ import annotations

import sys

COMMANDS = ("try", "check")


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in COMMANDS:
        print(f"usage: python -m scrape_assets {{{','.join(COMMANDS)}}} ...", file=sys.stderr)
        return 2
    if argv[0] == "check":
        from scrape_assets.check_targets import main as check_main

        return check_main(argv[1:])
    from scrape_assets.try_target import main as try_main

    return try_main(argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
