"""The ``tessera`` command line. Each command group lives in its own module and declares
itself with ``register(subparsers)``; this module only lists them."""

from __future__ import annotations

import argparse
import importlib
import sys

# One module per command group; each exposes register(subparsers) and sets args.handler.
COMMAND_MODULES = (
    "tessera.cli.formula_cmd",
    "tessera.cli.worker_cmd",
    "tessera.cli.serve_cmd",
    "tessera.cli.db_cmd",
    "tessera.cli.io_cmd",
    "tessera.cli.auth_cmd",
    "tessera.cli.pack_cmd",
    "tessera.cli.demo_cmd",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tessera", description="Tessera low-code platform")
    parser.add_argument("--db", help="database URL (default: $TESSERA_DATABASE_URL or ./tessera.db)")
    subparsers = parser.add_subparsers(dest="command", required=True)
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    result = args.handler(args)
    return int(result or 0)


if __name__ == "__main__":
    sys.exit(main())
