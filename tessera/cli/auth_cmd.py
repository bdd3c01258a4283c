"""``tessera createuser USERNAME [--password P] [--admin]`` and
``tessera token create|list|revoke``: accounts and API tokens from the server's shell.

The operator running these commands acts as SYSTEM (they own the database anyway); every
change still goes to the audit log, as ``system``. Without ``--password`` the password is
asked twice with getpass, so it never lands in the shell history."""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
from typing import Any

__all__ = ["register"]


def register(subparsers: Any) -> None:
    create = subparsers.add_parser("createuser", help="create a user (prompts for the password)")
    create.add_argument("username")
    create.add_argument("--password", help="the password (default: ask with a hidden prompt)")
    create.add_argument("--admin", action="store_true", help="make the user an administrator")
    create.set_defaults(handler=create_user)

    token = subparsers.add_parser("token", help="API tokens: create, list, revoke")
    actions = token.add_subparsers(dest="token_command", required=True)
    make = actions.add_parser("create", help="create a token and print its secret once")
    make.add_argument("user")
    make.add_argument("--base", action="append", default=None, metavar="NAME",
                      help="limit the token to this base (repeat for several; default: all "
                           "bases the user may reach)")
    make.add_argument("--name", default="cli", help="a label for the token")
    make.set_defaults(handler=create_token)
    show = actions.add_parser("list", help="list live tokens")
    show.add_argument("user", nargs="?")
    show.set_defaults(handler=list_tokens)
    revoke = actions.add_parser("revoke", help="revoke a token by id")
    revoke.add_argument("token_id", type=int)
    revoke.set_defaults(handler=revoke_token)


def _locale() -> str:
    return "zh" if os.environ.get("LANG", "").lower().startswith("zh") else "en"


def _engine(args: argparse.Namespace) -> Any:
    from tessera.db import create_engine, database_url
    from tessera.migrate import upgrade

    engine = create_engine(database_url(args.db))
    upgrade(engine)  # idempotent: createuser may be the first command on a new database
    return engine


def _run(args: argparse.Namespace, work: Any) -> int:
    from tessera.errors import TesseraError

    engine = _engine(args)
    try:
        return int(work(engine) or 0)
    except TesseraError as exc:
        print(exc.message(_locale()), file=sys.stderr)
        return 1
    finally:
        engine.dispose()


def _ask_password() -> str:
    first = getpass.getpass("Password / 密码: ")
    if first != getpass.getpass("Password again / 再次输入密码: "):
        raise SystemExit("The passwords differ; run the command again. / 两次输入的密码不一致，请重新运行。")
    return first


def create_user(args: argparse.Namespace) -> int:
    from tessera.auth import audit, users
    from tessera.auth.principal import SYSTEM

    password = args.password if args.password is not None else _ask_password()

    def work(engine: Any) -> int:
        user_id = users.create_user(engine, args.username, password, is_admin=args.admin)
        audit.record(engine, SYSTEM, "user.create", args.username,
                     {"is_admin": args.admin, "via": "cli"})
        kind = "administrator" if args.admin else "user"
        print(f"created {kind} {args.username!r} (id {user_id})")
        return 0

    return _run(args, work)


def create_token(args: argparse.Namespace) -> int:
    from tessera import schema_ops as schema
    from tessera.auth import audit, tokens
    from tessera.auth.principal import SYSTEM
    from tessera.errors import NotFoundError

    def work(engine: Any) -> int:
        base_ids = None
        if args.base:
            by_name = {b.name: b.id for b in schema.list_bases(engine)}
            missing = [n for n in args.base if n not in by_name]
            if missing:
                raise NotFoundError("base", missing[0])
            base_ids = [by_name[n] for n in args.base]
        token_id, secret = tokens.create_token(engine, args.user, name=args.name,
                                               base_ids=base_ids)
        audit.record(engine, SYSTEM, "token.create", f"token {token_id}",
                     {"owner": args.user, "base_ids": base_ids, "via": "cli"})
        print(secret)
        print(f"token {token_id} for {args.user}; shown once, keep it secret "
              f"(send it as 'Authorization: Bearer <token>')", file=sys.stderr)
        return 0

    return _run(args, work)


def list_tokens(args: argparse.Namespace) -> int:
    from tessera.auth import tokens

    def work(engine: Any) -> int:
        for info in tokens.list_tokens(engine, args.user):
            print(json.dumps(info.to_dict(), ensure_ascii=False))
        return 0

    return _run(args, work)


def revoke_token(args: argparse.Namespace) -> int:
    from tessera.auth import audit, tokens
    from tessera.auth.principal import SYSTEM

    def work(engine: Any) -> int:
        info = tokens.revoke_token(engine, args.token_id)
        audit.record(engine, SYSTEM, "token.revoke", f"token {info.id}",
                     {"owner": info.username, "via": "cli"})
        print(f"revoked token {info.id} of {info.username}")
        return 0

    return _run(args, work)
