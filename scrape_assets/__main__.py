"""`python -m scrape_assets COMMAND`: the project's command line. Commands: `try` (try a target YAML
on a few pages; see `scrape_assets/try_target.py`)."""

from __future__ import annotations

import sys

COMMANDS = ("try",)


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in COMMANDS:
        print(f"usage: python -m scrape_assets {{{','.join(COMMANDS)}}} ...", file=sys.stderr)
        return 2
    from scrape_assets.try_target import main as try_main

    return try_main(argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
