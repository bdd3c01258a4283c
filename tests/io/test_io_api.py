"""The import wizard's REST flow (upload → preview → commit) and export, on both backends."""

from __future__ import annotations

import base64
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from iofiles import write_xlsx
from openpyxl import load_workbook
from starlette.testclient import TestClient

from tessera.api.io_routes import EXPORT_ROW_FILTERS
from tessera.auth.bootstrap import admin_token, bearer
from tessera.query import query_records
from tessera.web import create_app


@pytest.fixture
def client(engine) -> Iterator[TestClient]:
    with TestClient(create_app(engine=engine), raise_server_exceptions=False,
                    headers=bearer(admin_token(engine))) as c:
        yield c


@pytest.fixture
def table(make_table) -> Any:
    return make_table("Customers", [("手机", "phone", None), ("次数", "number", None),
                                    ("等级", "single_select", {"choices": [{"label": "VIP"}]})])


def _upload(client: TestClient, table_id: int, path: Path, **extra: Any) -> Any:
    content = base64.b64encode(path.read_bytes()).decode()
    return client.post(f"/api/v1/tables/{table_id}/imports",
                       json={"filename": path.name, "content_base64": content, **extra})


def test_upload_preview_commit(engine, client: TestClient, table: Any, tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "客户.xlsx", [["姓名", "手机", "次数", "等级", "来源"],
                                               ["张三", "13800138000", "3", "vip", "抖音"],
                                               ["李四", "12", "x", "钻石", "美团"]])
    response = _upload(client, table.id, path, limit=5)
    assert response.status_code == 201, response.text
    preview = response.json()
    assert preview["file"] == "客户.xlsx"
    assert [c["status"] for c in preview["columns"]] == ["mapped"] * 4 + ["unmapped"]
    assert preview["inferred_types"] == {"来源": {"type": "text", "options": {}}}
    first, second = preview["rows"]
    assert first["values"] == {"姓名": "张三", "手机": "13800138000", "次数": 3.0,
                               "等级": "VIP"}
    assert first["problems"] == []
    assert len(second["problems"]) == 3 and second["row"] == 3
    assert query_records(engine, table.id).rows == []

    upload = preview["upload_id"]
    again = client.post(f"/api/v1/tables/{table.id}/imports/{upload}/preview",
                        json={"key": "手机", "limit": 1})
    assert again.status_code == 200 and len(again.json()["rows"]) == 1

    done = client.post(f"/api/v1/tables/{table.id}/imports/{upload}/commit",
                       json={"key": "手机", "create_fields": True})
    assert done.status_code == 200, done.text
    result = done.json()
    assert (result["created"], result["rejected"], result["committed"]) == (1, 1, True)
    assert result["created_fields"] == ["来源"]
    report = load_workbook(io.BytesIO(base64.b64decode(
        result["reject_report"]["content_base64"]))).active
    assert [c.value for c in report[2]][:2] == [3, "李四"]
    assert result["reject_report"]["filename"] == "客户.rejects.xlsx"
    gone = client.post(f"/api/v1/tables/{table.id}/imports/{upload}/commit", json={})
    assert gone.status_code == 404


@pytest.mark.parametrize("body, status, code", [
    ({"filename": "a.pdf", "content_base64": ""}, 400, "import_unsupported_file"),
    ({"filename": "a.xlsx", "content_base64": "###"}, 400, "import_upload_invalid"),
    ({"filename": "a.xlsx", "content_base64": base64.b64encode(b"zip?").decode()}, 400,
     "import_unreadable"),
    ({"filename": "a.xlsx"}, 400, "invalid_request"),
])
def test_bad_uploads(client: TestClient, table: Any, body: dict[str, Any], status: int,
                     code: str) -> None:
    response = client.post(f"/api/v1/tables/{table.id}/imports", json=body)
    assert response.status_code == status
    assert response.json()["error"]["code"] == code


def test_unknown_upload_is_404(client: TestClient, table: Any) -> None:
    for upload in ("0" * 32, "..%2F..%2Fetc"):
        response = client.post(f"/api/v1/tables/{table.id}/imports/{upload}/commit", json={})
        assert response.status_code == 404


def test_export_table_and_view_with_row_filter_hook(engine, client: TestClient, table: Any,
                                                    tmp_path: Path) -> None:
    from tessera import schema_ops as schema
    from tessera.records import RecordService

    RecordService(engine).bulk_create(table.id, [{"姓名": "甲", "次数": 1},
                                                 {"姓名": "乙", "次数": 7}])
    response = client.post(f"/api/v1/tables/{table.id}/export", json={"format": "csv"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["filename"], body["rows"]) == ("Customers.csv", 2)
    assert base64.b64decode(body["content_base64"]).decode("utf-8-sig").splitlines()[2] == \
        "乙,,7,"
    view = schema.create_view(engine, table.id, "Busy", sorts=[{"field": "次数",
                                                                "direction": "desc"}])
    EXPORT_ROW_FILTERS.append(lambda call, t: {"field": "次数", "op": "<", "value": 5})
    try:
        response = client.post(f"/api/v1/views/{view.id}/export", json={})
    finally:
        EXPORT_ROW_FILTERS.clear()
    body = response.json()
    assert (body["filename"], body["rows"]) == ("Busy.xlsx", 1)
    sheet = load_workbook(io.BytesIO(base64.b64decode(body["content_base64"]))).active
    assert sheet["A2"].value == "甲"
