"""Record comments on both backends: migration 0006_ui round trip with ``alembic check``
clean, add/list through the page's form, refusals, and escaping on the record page."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic import command

from tessera.db import create_engine
from tessera.errors import NotFoundError
from tessera.migrate import alembic_config, upgrade
from tessera.web.comments import MAX_COMMENT, CommentError, add_comment, list_comments

HTML = {"accept": "text/html"}


def test_migration_round_trip_and_check(backend_url) -> None:
    engine = create_engine(backend_url)
    upgrade(engine)
    assert "record_comments" in sa.inspect(engine).get_table_names()
    with engine.begin() as conn:
        command.check(alembic_config(conn))  # models and migrations agree
        command.downgrade(alembic_config(conn), "0005_packs")
    assert "record_comments" not in sa.inspect(create_engine(backend_url)).get_table_names()
    upgrade(engine)
    assert "record_comments" in sa.inspect(create_engine(backend_url)).get_table_names()
    engine.dispose()


@pytest.fixture
def record(client, table) -> dict:
    made = client.post(f"/api/v1/tables/{table['id']}/records",
                       json={"fields": {"Name": "Li Lei"}}).json()
    return {"table_id": table["id"], "id": made["id"]}


def test_comments_through_the_record_page(client, record) -> None:
    url = f"/tables/{record['table_id']}/records/{record['id']}"
    for body in ("First visit went well", "<script>alert(1)</script>\nsecond line"):
        response = client.post(url + "/comments", data={"body": body}, follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"] == url + "#comments"
    page = client.get(url, headers=HTML).text
    assert page.index("First visit went well") < page.index("&lt;script&gt;alert(1)")
    assert "<script>alert(1)" not in page


@pytest.mark.parametrize("body, error", [
    ("", CommentError), ("   \n ", CommentError), ("x" * (MAX_COMMENT + 1), CommentError),
])
def test_refused_comments(app, record, body, error) -> None:
    with pytest.raises(error):
        add_comment(app.state.engine, record["table_id"], record["id"], "admin", body)
    assert list_comments(app.state.engine, record["table_id"], record["id"]) == []


def test_comment_on_a_missing_record(client, app, record) -> None:
    with pytest.raises(NotFoundError):
        add_comment(app.state.engine, record["table_id"], 999, "admin", "hello")
    response = client.post(f"/tables/{record['table_id']}/records/999/comments",
                           data={"body": "x"}, headers={"accept": "application/json"})
    assert response.status_code == 404
    zh = client.post(f"/tables/{record['table_id']}/records/{record['id']}/comments",
                     data={"body": " "}, headers={"accept-language": "zh-CN"})
    assert zh.status_code == 400 and "评论" in zh.json()["error"]["message"]


def test_comments_go_with_their_table(client, app, record) -> None:
    add_comment(app.state.engine, record["table_id"], record["id"], "admin", "kept?")
    assert client.delete(f"/api/v1/tables/{record['table_id']}").status_code == 204
    with app.state.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM record_comments")).scalar() == 0
