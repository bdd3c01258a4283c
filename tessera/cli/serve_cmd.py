"""``tessera serve [--host H] [--port P]``: migrate the database (idempotent), print the URL,
and serve the web app with uvicorn."""

from __future__ import annotations

import argparse
from typing import Any

__all__ = ["register", "run_serve"]

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000


def register(subparsers: Any) -> None:
    serve = subparsers.add_parser("serve", help="run the web app (migrates the database first)")
    serve.add_argument("--host", default=DEFAULT_HOST, help=f"interface (default {DEFAULT_HOST})")
    serve.add_argument("--port", type=int, default=DEFAULT_PORT,
                       help=f"TCP port (default {DEFAULT_PORT})")
    serve.add_argument("--db", dest="command_db", default=None, metavar="URL",
                       help="database URL (overrides the global --db)")
    serve.add_argument("--log-level", default="info", help="uvicorn log level (default info)")
    serve.set_defaults(handler=run_serve)


def command_url(args: argparse.Namespace) -> str:
    """The database URL from the command's --db, the global --db or the environment."""
    from tessera.db import database_url

    return database_url(getattr(args, "command_db", None) or getattr(args, "db", None))


def run_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from tessera.migrate import upgrade
    from tessera.web import create_app

    url = command_url(args)
    upgrade(url)
    app = create_app(url)
    shown = f"[{args.host}]" if ":" in args.host else args.host
    print(f"Tessera is serving {_redacted(url)} at http://{shown}:{args.port}/", flush=True)
    uvicorn.run(app, host=args.host, port=args.port, log_level=args.log_level)
    return 0


def _redacted(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)
