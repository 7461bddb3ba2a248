"""The ``hubscope`` command: the demo, and day-to-day operations from a terminal."""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="hubscope", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("demo", help="offline demo: local API server, sample data, every stage materialized")
    args = parser.parse_args(argv)
    if args.command == "demo":
        from orchestration.demo import run_demo

        return run_demo()
    return 2


if __name__ == "__main__":
    sys.exit(main())
