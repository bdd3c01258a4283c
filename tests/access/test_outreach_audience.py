"""Outreach respects row rules: a campaign's audience and a call queue's daily lists are built
under the access of the user who created them (their automation's run-as user), so nobody
messages or calls customers they may not see (SQLite and PostgreSQL)."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

import tessera.outreach as out
import tessera.workflow as wf
from tessera import access
from tessera import schema_ops as schema
from tessera.access.context import acting
from tessera.auth.principal import Principal
from tessera.outreach import calls
from tessera.outreach.models import QUEUE_ITEMS
from tessera.outreach.secrets import generate_key
from tessera.records import RecordService

from .conftest import World

RULE = "{负责人} = CURRENT_USER()"
_serial = itertools.count(1)


@pytest.fixture(autouse=True)
def _env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TESSERA_SECRET_KEY", generate_key())
    monkeypatch.delenv("TESSERA_SECRET_KEY_FILE", raising=False)
    monkeypatch.setenv("TESSERA_ALLOWED_HOSTS", "")


@pytest.fixture(scope="module")
def ruled(world: World) -> World:
    """This module's world, with the schema admin restricted to their own customers too."""
    access.set_row_rule(world.engine, world.customers.id, "admin", RULE)
    return world


def _campaign(world: World, creator: Principal) -> dict[str, Any]:
    n = next(_serial)
    with acting(creator):   # as the API does for the signed-in user
        template = out.create_template(world.engine, base_id=world.base_id,
                                       table_id=world.customers.id, name=f"t{n}",
                                       bodies={"zh": {"body": "{姓名}您好"}})
        channel = out.create_channel(world.engine, base_id=world.base_id, name=f"hook{n}",
                                     kind="webhook", config={"url": "http://127.0.0.1:9/x"},
                                     secrets={"secret": "s"}, max_attempts=1)
        return out.create_campaign(world.engine, base_id=world.base_id,
                                   table_id=world.customers.id, name=f"c{n}",
                                   template_id=template["id"], channel_id=channel["id"])


def _audience(world: World, creator: Principal) -> set[int]:
    campaign = _campaign(world, creator)
    out.schedule_campaign(world.engine, campaign["id"])
    wf.Worker(world.engine, worker_id="audience").run_once()   # launch (sends are refused)
    return {d["record_id"] for d in out.deliveries(world.engine, campaign["id"], limit=1000)}


def _all_customers(engine: Engine, world: World) -> set[int]:
    t = world.customers.sa_table
    with engine.connect() as conn:
        return set(conn.execute(sa.select(t.c.id)).scalars())


def test_campaign_reaches_only_customers_its_creator_sees(ruled: World) -> None:
    admin, owner = ruled.person("admin"), ruled.person("owner")
    mine = {ruled.customer("admin"), ruled.customer("admin"), ruled.rows["admin"]}
    everyone = _all_customers(ruled.engine, ruled)
    assert len(everyone) > len(mine)
    assert _audience(ruled, admin.principal) == mine
    assert _audience(ruled, owner.principal) == everyone


def test_campaign_of_a_creator_who_lost_access_does_not_launch(ruled: World) -> None:
    from tessera.auth.users import create_user

    uid = create_user(ruled.engine, "leaver_admin", "password-leaver-admin")
    access.grant(ruled.engine, ruled.base_id, "admin", user_id=uid)
    campaign = _campaign(ruled, Principal(uid, "leaver_admin"))
    access.revoke(ruled.engine, ruled.base_id, user_id=uid)
    out.schedule_campaign(ruled.engine, campaign["id"])
    wf.Worker(ruled.engine, worker_id="audience").run_once()
    assert out.deliveries(ruled.engine, campaign["id"], limit=10) == []
    [run] = wf.run_history(ruled.engine, out.get_campaign(ruled.engine, campaign["id"])
                           ["launcher_id"])
    assert run.status == "failed" and "no longer holds a role" in (run.error or "")


@pytest.fixture(scope="module")
def tasks(ruled: World) -> schema.TableInfo:
    table = schema.create_table(ruled.engine, ruled.base_id, "回访任务", primary_field="主题",
                                fields=[schema.FieldSpec("负责人", "text"),
                                        schema.FieldSpec("状态", "text"),
                                        schema.FieldSpec("客户", "text"),
                                        schema.FieldSpec("顾问", "user")])
    access.set_row_rule(ruled.engine, table.id, "admin", "{顾问} = CURRENT_USER()")
    return table


def test_call_queue_lists_only_tasks_its_creator_sees(ruled: World, tasks: Any) -> None:
    admin, owner = ruled.person("admin"), ruled.person("owner")
    svc = RecordService(ruled.engine)
    theirs = {svc.create(tasks.id, {"主题": f"A{i}", "状态": "待办",
                                    "顾问": admin.user_id})["id"] for i in range(3)}
    others = {svc.create(tasks.id, {"主题": f"O{i}", "状态": "待办",
                                    "顾问": owner.user_id})["id"] for i in range(2)}
    config = {"callers": ["甲", "乙"], "daily_cap": 50}
    listed = {}
    for creator in (admin, owner):
        with acting(creator.principal):
            queue = calls.create_queue(ruled.engine, base_id=ruled.base_id, table_id=tasks.id,
                                       name=f"q-{creator.role}", config=config)
        calls.build_day(ruled.engine, queue["id"])   # whoever asks, the creator's rules apply
        with ruled.engine.connect() as conn:
            listed[creator.role] = set(conn.execute(sa.select(QUEUE_ITEMS.c.task_id).where(
                QUEUE_ITEMS.c.queue_id == queue["id"])).scalars())
    assert listed["admin"] == theirs
    assert listed["owner"] == theirs | others
