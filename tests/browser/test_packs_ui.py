"""The app pack screens in Chromium, as an admin uses them: a broken upload shows every problem
with its file, line and path; the bundled clinic pack installs into a new base with a sample
size and specialty; the base shows in the installed list with its version; an upgrade to an
uploaded next-version zip is previewed with its conflict (a view the user deleted and the pack
changed) before it is applied; the base exports as a downloadable zip that validates again."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path
from typing import Any

import pytest

from tessera.packs import check_pack, load_text
from tessera.web.packs_page import APPS_DIR
from tests.browser.conftest import new_page, screenshot, wait_until

CLINIC = (APPS_DIR / "clinic_crm" / "pack.yaml").read_text(encoding="utf-8")
VERSION = re.search(r"^version: (\S+)$", CLINIC, re.M).group(1)          # as bundled
NEXT = ".".join([*VERSION.split(".")[:-1], str(int(VERSION.split(".")[-1]) + 1)])
LEAD_POOL_SORT = "sort: [{field: 潜客分级, direction: asc}, {field: 累计消费, direction: desc}]"


@pytest.fixture
def api(sqlite_server: Any, api_for: Any) -> Any:
    return api_for(sqlite_server)


def _v110(tmp_path: Path) -> Path:
    """The clinic pack's next version: the lead pool view sorts by spend ascending."""
    assert CLINIC.count(f"version: {VERSION}") == 1 and CLINIC.count(LEAD_POOL_SORT) == 1
    text = CLINIC.replace(f"version: {VERSION}", f"version: {NEXT}").replace(
        LEAD_POOL_SORT, LEAD_POOL_SORT.replace("direction: desc", "direction: asc"))
    path = tmp_path / f"clinic_crm-{NEXT}.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("clinic_crm/pack.yaml", text.encode("utf-8"))
    return path


def test_install_upgrade_with_a_conflict_and_export(context, sqlite_server, api,
                                                    tmp_path) -> None:
    page = new_page(context, sqlite_server)
    page.goto(sqlite_server.url + "/")
    page.click("#packs-link")
    page.wait_for_url("**/packs")
    # a broken upload: every problem listed with file:line:column and its path, nothing made
    broken = tmp_path / "pack.yaml"
    broken.write_text("format: 1\nname: broken\nversion: 1.0.0\ntables:\n  - key: t\n"
                      "    name: T\n    fields:\n      - {name: A, type: nonsense}\n",
                      encoding="utf-8")
    page.select_option("#pi-source", "")
    page.set_input_files("#pi-files", str(broken))
    page.fill("#pi-base-name", "Broken")
    page.click("#pi-submit")
    page.locator("#pi-issues .pack-issue").first.wait_for()
    shown = page.locator("#pi-issues .pack-issue")
    listed = [(shown.nth(i).locator(".pack-issue-where").inner_text(),
               shown.nth(i).locator(".pack-issue-path").inner_text())
              for i in range(shown.count())]
    _, issues = check_pack(load_text(broken.read_text(encoding="utf-8")))
    assert listed == [(f"{i.file}:{i.line}:{i.column}", i.path) for i in issues]
    assert ("$.tables[0].fields[0].type", 8) in [(i.path, i.line) for i in issues]  # the type
    assert "nonsense" in shown.nth(len(listed) - 1).inner_text()
    screenshot(page, "packs-validation-errors")
    assert all(b["name"] != "Broken" for b in api("GET", "/api/v1/bases"))

    # install the bundled clinic pack with 20 sample records of a TCM clinic
    page.select_option("#pi-source", "clinic_crm")
    assert page.locator("#pi-upload-row").is_hidden()
    page.select_option("#pi-specialty", "tcm")
    page.fill("#pi-base-name", "杏林中医")
    page.fill("#pi-sample", "20")
    page.click("#pi-submit")
    result = page.locator("#pi-result .pack-new-base")
    result.wait_for(timeout=120000)
    assert "20 sample records" in page.locator("#pi-result").inner_text()
    base_id = int(page.locator("#pi-result").get_attribute("data-base-id"))
    tables = {t["name"]: t for t in api("GET", f"/api/v1/bases/{base_id}/tables")}
    assert "客户" in tables and "项目" in tables
    services = api("GET", f"/api/v1/tables/{tables['项目']['id']}/records?limit=200")["rows"]
    assert any("针灸" in str(r["fields"].get("名称")) for r in services)  # the TCM catalog
    screenshot(page, "packs-installed")

    # the installed list shows it with its version
    page.goto(sqlite_server.url + "/packs")
    row = page.locator(f"#pack-installed tr[data-base-id='{base_id}']")
    assert row.locator(".pack-version").inner_text() == VERSION
    row.locator(".pack-manage").click()
    page.wait_for_url(f"**/bases/{base_id}/pack")

    # the user deleted the lead pool view, which the new version changes: a conflict
    view = next(v for v in api("GET", f"/api/v1/tables/{tables['客户']['id']}/views")
                if v["name"] == "潜客池")
    api("DELETE", f"/api/v1/views/{view['id']}")
    page.select_option("#pu-source", "")
    page.set_input_files("#pu-files", str(_v110(tmp_path)))
    page.click("#pu-preview")
    head = page.locator("#pu-plan .pack-plan-head")
    head.wait_for(timeout=60000)
    assert head.get_attribute("data-dry-run") == "true"
    assert head.get_attribute("data-conflicts") == "1"
    conflict = page.locator("#pu-plan .pack-plan-item[data-action=conflict]")
    assert conflict.get_attribute("data-key") == "lead_pool"
    sides = page.locator("#pu-plan .pack-conflict")
    assert "you deleted it" in sides.locator(".ours pre").inner_text()
    assert "asc" in sides.locator(".theirs pre").inner_text()
    assert page.locator("#pack-current").get_attribute("data-version") == VERSION
    screenshot(page, "packs-upgrade-preview")
    page.click("#pu-apply")
    wait_until(page, "() => document.querySelector('#pu-plan .pack-plan-head')"
                     ".dataset.dryRun === 'false'", timeout_s=60)
    assert page.locator("#pack-current").get_attribute("data-version") == NEXT
    # the conflict kept the user's side: the view stays deleted
    assert all(v["name"] != "潜客池"
               for v in api("GET", f"/api/v1/tables/{tables['客户']['id']}/views"))

    # export: a zip with pack.yaml at the new version that validates again
    with page.expect_download() as info:
        page.click("#pack-export-zip")
    download = info.value
    assert download.suggested_filename == f"clinic_crm-{NEXT}.zip"
    with zipfile.ZipFile(io.BytesIO(Path(download.path()).read_bytes())) as archive:
        text = archive.read(f"clinic_crm-{NEXT}/pack.yaml").decode("utf-8")
    validated, issues = check_pack(load_text(text))
    assert issues == [] and validated.pack["version"] == NEXT
    assert "lead_pool" not in {v["key"] for v in validated.pack["views"]}
    assert page.js_errors == []


def test_packs_screen_in_chinese(context, sqlite_server) -> None:
    page = new_page(context, sqlite_server)
    page.goto(sqlite_server.url + "/ui/lang/zh?next=/packs")
    assert page.locator("h1").inner_text() == "应用包"
    assert "诊所客户管理" in page.locator("#pi-source").inner_text()
    page.fill("#pi-base-name", "")
    page.click("#pi-submit")
    page.locator("#pi-issues", has_text="请填写新数据库的名称").wait_for()
    screenshot(page, "packs-zh")
