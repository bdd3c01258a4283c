"""The app pack screens' server side: bundled packs listed with versions and specialties, the
installed packs per base, a bundled pack's files and an uploaded zip handed to the browser as
text (bounded: bad, empty and oversized archives are refused with advice), and a base exported
as a downloadable .zip / pack.yaml that validates again (SQLite and PostgreSQL)."""

from __future__ import annotations

import io
import re
import zipfile
from typing import Any

import pytest

from tessera.packs import check_pack, load_text
from tessera.web.pack_archive import (
    MAX_FILE_BYTES,
    PackArchiveError,
    pack_zip,
    read_pack_zip,
)
from tessera.web.packs_page import APPS_DIR, bundled_packs


def _zip(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_read_pack_zip_finds_the_pack_and_its_locales() -> None:
    files = read_pack_zip(_zip({"gym/pack.yaml": b"name: gym\n", "gym/locales/en.yaml": b"a: 1\n",
                                "gym/README.md": b"#", "other/locales/zh.yaml": b"b: 2\n"}))
    assert files.text == "name: gym\n"
    assert files.locales == {"en": "a: 1\n"}
    # the archive the export builds reads back the same
    assert read_pack_zip(pack_zip("x-1.0.0", {"pack.yaml": "名称: 诊所\n"})).text == "名称: 诊所\n"


@pytest.mark.parametrize("data, needle", [
    (b"not a zip", "not a zip"),
    (_zip({"README.md": b"#"}), "no pack.yaml"),
    (_zip({"pack.yaml": b"\xff\xfe\x00bad"}), "UTF-8"),
    (_zip({"pack.yaml": b"a" * (MAX_FILE_BYTES + 1)}), "larger than"),
])
def test_read_pack_zip_refuses_with_advice(data: bytes, needle: str) -> None:
    with pytest.raises(PackArchiveError, match=needle) as info:
        read_pack_zip(data)
    assert info.value.message_zh and info.value.code == "pack.archive"


def test_bundled_packs_in_both_languages() -> None:
    en = {p["name"]: p for p in bundled_packs("en")}
    zh = {p["name"]: p for p in bundled_packs("zh")}
    on_disk = {p.name for p in APPS_DIR.iterdir() if (p / "pack.yaml").is_file()}
    assert {p["folder"] for p in en.values()} == on_disk
    assert en["clinic_crm"]["title"] == "Clinic CRM" and zh["clinic_crm"]["title"] == "诊所客户管理"
    assert en["clinic_crm"]["specialties"] == ["dental", "aesthetics", "tcm"]
    assert en["clinic_crm"]["sample_default"] == 200


def test_bundled_files_and_unzip_endpoints(client: Any) -> None:
    files = client.get("/ui/packs/bundled/gym_membership").json()
    assert files["text"] == (APPS_DIR / "gym_membership" / "pack.yaml").read_text("utf-8")
    assert set(files["locales"]) == {"en"}
    for bad in ("nope", "..", "gym_membership%2F..%2F..%2Fpyproject.toml"):
        assert client.get(f"/ui/packs/bundled/{bad}").status_code == 404
    unzipped = client.post("/ui/packs/unzip", content=_zip({"p/pack.yaml": b"name: p\n"}),
                           headers={"content-type": "application/zip"})
    assert unzipped.json() == {"text": "name: p\n", "locales": {}}
    refused = client.post("/ui/packs/unzip", content=b"plain text",
                          headers={"content-type": "application/zip"})
    assert refused.status_code == 400
    assert "zip" in refused.json()["error"]["message"]


GYM_VERSION = re.search(r"^version: (\S+)$", (APPS_DIR / "gym_membership" / "pack.yaml")
                        .read_text("utf-8"), re.M).group(1)


def _install(client: Any, name: str) -> dict[str, Any]:
    files = client.get("/ui/packs/bundled/gym_membership").json()
    response = client.post("/api/v1/packs/install", json={**files, "base_name": name})
    assert response.status_code == 201, response.text
    return response.json()


def test_packs_page_lists_installed_and_bundled(client: Any) -> None:
    empty = client.get("/packs")
    assert empty.status_code == 200 and 'id="pack-installed"' not in empty.text
    installed = _install(client, "Gym north")
    client.post("/api/v1/bases", json={"name": "Plain base"})
    page = client.get("/packs").text
    rows = page.split('id="pack-installed"')[1].split("</table>")[0]
    assert f'data-base-id="{installed["base_id"]}"' in rows and "Gym north" in rows
    assert f'<td class="pack-version">{GYM_VERSION}</td>' in rows
    assert "Plain base" not in rows
    assert 'value="clinic_crm"' in page and 'value="gym_membership"' in page


def test_base_pack_page_and_export_downloads(client: Any) -> None:
    installed = _install(client, "Gym south")
    bid = installed["base_id"]
    page = client.get(f"/bases/{bid}/pack").text
    assert f'data-version="{GYM_VERSION}"' in page and 'id="pack-upgrade"' in page
    archive = client.get(f"/bases/{bid}/pack/export.zip")
    assert archive.status_code == 200
    assert archive.headers["content-type"] == "application/zip"
    assert f'filename="gym_membership-{GYM_VERSION}.zip"' in archive.headers["content-disposition"]
    files = read_pack_zip(archive.content)
    validated, issues = check_pack(load_text(files.text))
    assert issues == [] and validated.pack["name"] == "gym_membership"
    assert {t["name"] for t in validated.pack["tables"]} == \
        {t["name"] for t in installed_tables(client, bid)}
    yaml_file = client.get(f"/bases/{bid}/pack/export.yaml")
    assert yaml_file.text == files.text
    assert client.get(f"/bases/{bid}/pack/export.exe").status_code == 404
    plain = client.post("/api/v1/bases", json={"name": "Plain"}).json()
    assert 'id="pack-upgrade"' not in client.get(f"/bases/{plain['id']}/pack").text


def installed_tables(client: Any, base_id: int) -> list[dict[str, Any]]:
    return client.get(f"/api/v1/bases/{base_id}/tables").json()
