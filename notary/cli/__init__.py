"""The `notary` command line: one sub-command module per resource.

Every NotaryError is caught once here and printed as one line; the exit code says
what kind of failure it was (1: the operation failed, 2: bad usage or input).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from notary.cli import chain, db, dev, verify, worker
from notary.core.errors import FormatError, NotaryError

EXIT_FAILED = 1
EXIT_USAGE = 2


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every sub-command registered."""
    parser = argparse.ArgumentParser(prog="notary", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in (chain, db, dev, worker, verify):
        module.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the process exit code."""
    args = build_parser().parse_args(argv)
    try:
        result: int = args.run(args)
    except FormatError as exc:
        print(f"notary: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except NotaryError as exc:
        print(f"notary: {exc.diagnostics()}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        return 130
    return result


if __name__ == "__main__":
    sys.exit(main())
