"""``tessera pack validate|install|upgrade|export|roles|assign|unassign``: the app-pack
lifecycle and the pack's roles (docs/packs.md).

Problems print one per line as ``pack.yaml:LINE:COL: $.path: message`` in English and
Chinese; exit code 1 when the pack is invalid, 2 when the operation was refused."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from tessera.errors import TesseraError

__all__ = ["register"]


def register(subparsers: Any) -> None:
    pack = subparsers.add_parser("pack", help="app packs: validate, install, upgrade, export",
                                 description="App packs: a folder with pack.yaml (docs/packs.md).")
    sub = pack.add_subparsers(dest="pack_command", required=True)
    val = sub.add_parser("validate", help="check a pack folder; exit 1 if it has problems")
    val.add_argument("path", help="the pack folder (or its pack.yaml)")
    val.add_argument("--json", action="store_true", help="print the problems as JSON")
    val.set_defaults(handler=run_validate)

    ins = sub.add_parser("install", help="install a pack into a new base (one transaction)")
    ins.add_argument("path", help="the pack folder")
    ins.add_argument("--base", required=True, help="name of the new base")
    ins.add_argument("--sample", type=int, nargs="?", const=-1, default=None, metavar="N",
                     help="load N sample records (without N: the pack's default count)")
    ins.add_argument("--specialty", help="sample-data option, e.g. dental|aesthetics|tcm")
    ins.add_argument("--seed", type=int, help="sample-data random seed (same seed, same data)")
    ins.add_argument("--json", action="store_true", help="print the result as JSON")
    ins.set_defaults(handler=run_install)

    upg = sub.add_parser("upgrade", help="apply a new pack version, keeping user edits")
    upg.add_argument("path", help="the new pack folder")
    upg.add_argument("--base", required=True, help="the base the pack was installed into")
    upg.add_argument("--dry-run", action="store_true", help="print the plan, change nothing")
    upg.add_argument("--prune", action="store_true",
                     help="also delete fields the pack removed even though they hold data")
    upg.add_argument("--json", action="store_true", help="print the plan as JSON")
    upg.set_defaults(handler=run_upgrade)

    exp = sub.add_parser("export", help="write a live base back out as a pack folder")
    exp.add_argument("--base", required=True, help="the base to export")
    exp.add_argument("out", help="output folder (created; pack.yaml is written inside)")
    exp.add_argument("--name", help="pack name for a base that was not installed from a pack")
    exp.add_argument("--version", dest="pack_version", help="pack version to write")
    exp.set_defaults(handler=run_export)

    rol = sub.add_parser("roles", help="list the pack's roles and who holds each")
    rol.add_argument("--base", required=True, help="the base the pack was installed into")
    rol.set_defaults(handler=run_roles)
    asg = sub.add_parser("assign", help="give users a pack role (e.g. 咨询师) on the base")
    asg.add_argument("--base", required=True, help="the base the pack was installed into")
    asg.add_argument("role", help="the pack role's key or name")
    asg.add_argument("users", nargs="+", help="usernames (or user ids)")
    asg.set_defaults(handler=run_assign)
    una = sub.add_parser("unassign", help="take users' role on the base away")
    una.add_argument("--base", required=True, help="the base")
    una.add_argument("users", nargs="+", help="usernames (or user ids)")
    una.set_defaults(handler=run_unassign)


def _engine(args: argparse.Namespace) -> Any:
    from tessera.db import create_engine, database_url
    from tessera.migrate import upgrade

    engine = create_engine(database_url(getattr(args, "db", None)))
    upgrade(engine)
    return engine


def _fail(error: TesseraError) -> int:
    from tessera.packs.errors import PackValidationError

    if isinstance(error, PackValidationError):
        for issue in error.issues:
            print(issue.message("en"), file=sys.stderr)
            print(issue.message("zh"), file=sys.stderr)
        print(f"{len(error.issues)} problem(s) / {len(error.issues)} 个问题", file=sys.stderr)
        return 1
    print(f"error: {error.message_en}\n错误：{error.message_zh}", file=sys.stderr)
    return 2


def _base_id(engine: Any, name: str) -> int:
    from tessera.cli.io_cmd import resolve_base

    return resolve_base(engine, name).id


def run_validate(args: argparse.Namespace) -> int:
    from tessera.packs import check_pack, load_pack

    try:
        validated, issues = check_pack(load_pack(args.path))
    except TesseraError as exc:
        return _fail(exc)
    if args.json:
        print(json.dumps({"valid": not issues, "issues": [i.to_dict() for i in issues]},
                         ensure_ascii=False, indent=2))
        return 1 if issues else 0
    for issue in issues:
        print(issue.message("en"))
        print(issue.message("zh"))
    if issues:
        print(f"{len(issues)} problem(s) / {len(issues)} 个问题")
        return 1
    assert validated is not None
    pack = validated.pack
    print(f"ok: {pack['name']} {pack['version']}: {len(pack['tables'])} tables, "
          f"{len(pack.get('views', []))} views, {len(pack.get('automations', []))} automations"
          f" / 校验通过")
    return 0


def run_install(args: argparse.Namespace) -> int:
    from tessera.packs import install

    options = {"specialty": args.specialty} if args.specialty else {}
    try:
        result = install(_engine(args), args.path, args.base, sample=args.sample,
                         seed=args.seed, sample_options=options)
    except TesseraError as exc:
        return _fail(exc)
    if args.json:
        print(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
        return 0
    print(f"installed {result.pack_name} {result.version} into base {result.base_name!r} "
          f"(id {result.base_id}): {len(result.ids.tables)} tables, {len(result.ids.fields)} "
          f"fields, {len(result.ids.views)} views, {len(result.ids.automations)} automations")
    if result.sample is not None:
        if result.sample.loaded:
            print(f"sample data: {result.sample.count} records by {result.sample.generator}")
        else:
            print(f"{result.sample.note_en}\n{result.sample.note_zh}")
    return 0


def run_upgrade(args: argparse.Namespace) -> int:
    from tessera.packs.upgrade import upgrade_pack

    try:
        engine = _engine(args)
        report = upgrade_pack(engine, args.path, _base_id(engine, args.base),
                              dry_run=args.dry_run, prune=args.prune)
    except TesseraError as exc:
        return _fail(exc)
    if args.json:
        print(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
    else:
        print(report.render())
    return 0


def run_export(args: argparse.Namespace) -> int:
    from tessera.packs.export import export_base, write_pack

    try:
        engine = _engine(args)
        pack = export_base(engine, _base_id(engine, args.base), name=args.name,
                           version=args.pack_version)
        path = write_pack(pack, args.out)
    except TesseraError as exc:
        return _fail(exc)
    print(f"exported base {args.base!r} to {path}")
    return 0


def run_roles(args: argparse.Namespace) -> int:
    from tessera.packs.roles import pack_roles, role_members

    try:
        engine = _engine(args)
        base_id = _base_id(engine, args.base)
        roles, members = pack_roles(engine, base_id), role_members(engine, base_id)
    except TesseraError as exc:
        return _fail(exc)
    for r in roles:
        holders = ", ".join(m.username for m in members if m.role_key == r["key"]) or "-"
        print(f"{r['key']} ({r['name']}, {r['role']}): {holders}")
        for table, rule in (r.get("row_rules") or {}).items():
            print(f"  row rule on {table}: {rule}")
        for table, modes in (r.get("field_permissions") or {}).items():
            print(f"  fields of {table}: " + ", ".join(f"{f} {m}" for f, m in modes.items()))
    return 0


def run_assign(args: argparse.Namespace) -> int:
    from tessera.packs.roles import assign_role

    try:
        engine = _engine(args)
        base_id = _base_id(engine, args.base)
        for user in args.users:
            m = assign_role(engine, base_id, args.role, user)
            print(f"{m.username}: {m.role_name} ({m.base_role}) on base {args.base!r} / "
                  f"已授予角色 {m.role_name}")
    except TesseraError as exc:
        return _fail(exc)
    return 0


def run_unassign(args: argparse.Namespace) -> int:
    from tessera.packs.roles import unassign_role

    try:
        engine = _engine(args)
        base_id = _base_id(engine, args.base)
        for user in args.users:
            done = unassign_role(engine, base_id, user)
            print(f"{user}: {'role removed / 已移除角色' if done else 'had no role / 原本没有角色'}")
    except TesseraError as exc:
        return _fail(exc)
    return 0

