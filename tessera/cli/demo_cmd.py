"""``tessera demo``: the README's first command. Migrates the database, installs the clinic CRM
pack (apps/clinic_crm) into the base "诊所演示" with sample data unless it is there already,
creates a demo admin login when the auth package offers ``create_user``, gives the sample's
consultants and phone callers (users the generator created) the demo password and their pack
roles (咨询师 sees only their own customers, 电话邀约 only the C list), prints every login, and
serves the app on http://127.0.0.1:8000. Running it again reuses everything (idempotent).
``--no-serve`` stops before serving (tests, scripts)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

__all__ = ["register", "run_demo", "prepare_demo", "DEMO_BASE", "DEMO_USER", "DEMO_PASSWORD"]

DEMO_BASE = "诊所演示"
DEMO_USER = "admin"
DEMO_PASSWORD = "tessera-demo"   # a local demo on 127.0.0.1 only; printed on every start
PACK_DIR = Path(__file__).resolve().parents[2] / "apps" / "clinic_crm"


def register(subparsers: Any) -> None:
    demo = subparsers.add_parser("demo", help="install the clinic CRM demo (once) and serve it")
    demo.add_argument("--sample", type=int, default=300,
                      help="sample customers on first install (default 300)")
    demo.add_argument("--specialty", default="dental", choices=["dental", "aesthetics", "tcm"],
                      help="clinic specialty of the sample data (default dental)")
    demo.add_argument("--seed", type=int, default=7, help="sample-data seed (default 7)")
    demo.add_argument("--no-serve", action="store_true", help="prepare the demo and exit")
    demo.add_argument("--host", default="127.0.0.1")
    demo.add_argument("--port", type=int, default=8000)
    demo.add_argument("--db", dest="command_db", default=None, metavar="URL",
                      help="database URL (overrides the global --db)")
    demo.set_defaults(handler=run_demo)


def prepare_demo(url: str, *, sample: int = 300, specialty: str = "dental",
                 seed: int = 7) -> dict[str, Any]:
    """Migrate, install the pack once, create the demo login once. Returns what was done."""
    from tessera import schema_ops as schema
    from tessera.migrate import upgrade
    from tessera.packs.install import install

    upgrade(url)
    from tessera.db import create_engine

    engine = create_engine(url)
    try:
        existing = next((b for b in schema.list_bases(engine) if b.name == DEMO_BASE), None)
        installed = existing is None
        if installed:
            result = install(engine, PACK_DIR, DEMO_BASE, sample=sample, seed=seed,
                             sample_options={"specialty": specialty})
            base_id = result.base_id
        else:
            base_id = existing.id
        return {"base_id": base_id, "installed": installed, "login": _demo_login(engine),
                "staff": _staff_logins(engine, base_id)}
    finally:
        engine.dispose()


def _demo_login(engine: Any) -> tuple[str, str | None] | None:
    """(user, password) of the demo admin; password None when the user existed already (it
    may have been changed). None when this version has no user accounts."""
    try:
        from tessera.auth.users import create_user
    except ImportError:
        return None
    from tessera.errors import NameConflictError

    try:
        create_user(engine, DEMO_USER, DEMO_PASSWORD, is_admin=True)
    except NameConflictError:
        return DEMO_USER, None
    return DEMO_USER, DEMO_PASSWORD


STAFF_ROLES = (("consultant", "CONSULTANTS"), ("caller", "CALLERS"))


def _staff_logins(engine: Any, base_id: int) -> list[tuple[str, str, str | None]]:
    """(username, pack role name, password or None) of the sample's staff. Accounts the
    generator left without a password get the demo password (one hash for all) and their
    pack role; accounts that already have a password (a second run) are only listed."""
    import sqlalchemy as sa

    from tessera.auth.models import USERS
    from tessera.auth.passwords import hash_password
    from tessera.packs.roles import assign_role, pack_roles
    from tessera.samples import catalog
    from tessera.samples.staff import NO_PASSWORD

    names = {r["key"]: r["name"] for r in pack_roles(engine, base_id)}
    out: list[tuple[str, str, str | None]] = []
    digest: str | None = None
    with engine.begin() as conn:
        for role, attr in STAFF_ROLES:
            for username in getattr(catalog, attr):
                row = conn.execute(sa.select(USERS.c.id, USERS.c.password_hash)
                                   .where(USERS.c.username == username)).first()
                if row is None:
                    continue
                fresh = row.password_hash == NO_PASSWORD
                if fresh:
                    digest = digest or hash_password(DEMO_PASSWORD)
                    conn.execute(USERS.update().where(USERS.c.id == row.id)
                                 .values(password_hash=digest))
                    assign_role(conn, base_id, role, int(row.id))
                out.append((username, names.get(role, role), DEMO_PASSWORD if fresh else None))
    return out


def run_demo(args: argparse.Namespace) -> int:
    from tessera.cli.serve_cmd import command_url

    url = command_url(args)
    done = prepare_demo(url, sample=args.sample, specialty=args.specialty, seed=args.seed)
    if done["installed"]:
        print(f"Installed the clinic CRM into base {DEMO_BASE!r} with {args.sample} sample "
              f"customers ({args.specialty}). / 已安装诊所客户管理示例（{args.sample} 位客户）。",
              flush=True)
    else:
        print(f"Base {DEMO_BASE!r} is already installed; reusing it. / 已存在示例数据库，直接使用。",
              flush=True)
    login = done["login"]
    if login is not None:
        user, password = login
        shown = password if password else "(unchanged since the first run / 沿用首次运行时的密码)"
        print(f"Log in as {user} / 登录用户 {user}, password / 密码: {shown}", flush=True)
    for user, role, password in done["staff"]:
        shown = password if password else "(unchanged / 沿用首次运行时的密码)"
        print(f"  {role}: {user} / {shown}", flush=True)
    if args.no_serve:
        return 0
    from tessera.cli.serve_cmd import run_serve

    serve_args = argparse.Namespace(host=args.host, port=args.port, command_db=url,
                                    db=None, log_level="info")
    return run_serve(serve_args)
