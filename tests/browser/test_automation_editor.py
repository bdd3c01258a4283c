"""The visual automation editor in Chromium, as an admin uses it: pick a trigger and its
options, write a condition with a mistake and see it flagged live, add actions from forms the
action registry generates (no JSON typed), reorder and remove one, dry-run on a chosen record
before saving, save, enable, trigger it by editing a record and read its run with the step
log; then edit it and switch it off."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import new_page, screenshot, wait_until


@pytest.fixture
def api(sqlite_server: Any, api_for: Any) -> Any:
    return api_for(sqlite_server)


def _base(api: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    base = api("POST", "/api/v1/bases", {"name": "Editor clinic"})
    table = api("POST", f"/api/v1/bases/{base['id']}/tables", {
        "name": "Leads", "fields": [
            {"name": "Stage", "type": "single_select",
             "options": {"choices": [{"label": "Lead"}, {"label": "Contacted"}]}},
            {"name": "Score", "type": "number", "options": {"precision": 0}},
            {"name": "Owner", "type": "text"}, {"name": "Note", "type": "text"}]})
    return base, table


def test_build_dry_run_save_and_see_a_run(context, sqlite_server, api) -> None:
    from tessera.workflow.worker import start_embedded_worker

    base, table = _base(api)
    tid = table["id"]
    lead = api("POST", f"/api/v1/tables/{tid}/records",
               {"fields": {"Name": "Ms. Wu", "Stage": "Lead", "Score": 3}})
    page = new_page(context, sqlite_server)
    page.goto(f"{sqlite_server.url}/bases/{base['id']}/automations")
    page.locator("#a-table").select_option(str(tid))
    page.fill("#a-name", "Follow up updated leads")
    page.select_option("#a-trigger", "record_updated")
    # the trigger's "fields" option is a checkbox list of the table's fields
    page.locator("#a-trigger-options [data-param=fields] label", has_text="Owner")\
        .locator("input").check()
    # a condition with a mistake is flagged live at its position, then fixed
    condition = page.locator("#a-condition-input")
    condition.fill('AND({Stage} = "Lead", {Scor} > 1)')
    page.locator("#a-condition .formula-errors li", has_text="Scor").wait_for()
    condition.fill('AND({Stage} = "Lead", {Score} > 1)')
    wait_until(page, "() => document.querySelector('#a-condition .formula-info')"
                     ".textContent.length > 0")
    assert page.locator("#a-condition .formula-errors li").count() == 0
    # actions from generated forms: notify, update record, and a stop that gets removed
    page.select_option(".ae-add-type", "notify")
    page.click(".ae-add-action")
    page.select_option(".ae-add-type", "update_record")
    page.click(".ae-add-action")
    page.select_option(".ae-add-type", "stop")
    page.click(".ae-add-action")
    actions = page.locator("#a-actions .ae-action")
    assert actions.count() == 3
    actions.nth(2).locator(".ae-remove").click()
    assert actions.count() == 2
    update = page.locator(".ae-action[data-type=update_record]")
    update.locator(".ae-pair .ae-key").select_option("Stage")
    update.locator(".ae-pair .ae-value").fill("Contacted")
    update.locator(".ae-add-pair").click()
    update.locator(".ae-pair .ae-key").nth(1).select_option("Note")
    update.locator(".ae-pair .ae-value").nth(1).fill("=\"owner \" & {Owner}")
    notify = page.locator(".ae-action[data-type=notify]")
    notify.locator("[data-param=users] input").fill("admin, 前台")
    notify.locator("[data-param=message] input").fill('="Lead " & {Name} & " has an owner"')
    update.locator(".ae-up").click()  # update first, then notify
    assert page.locator("#a-actions .ae-action").first.get_attribute("data-type") == \
        "update_record"
    # dry run on the chosen record, before anything is saved
    page.locator("#a-dry-record").select_option(str(lead["id"]))
    page.click("#a-dry-run")
    page.locator(".ae-dry-step").first.wait_for()
    assert page.locator(".ae-dry-condition").get_attribute("data-passed") == "true"
    steps = page.locator(".ae-dry-step")
    assert [steps.nth(i).get_attribute("data-action") for i in range(steps.count())] == \
        ["update_record", "notify"]
    assert "Lead Ms. Wu has an owner" in steps.nth(1).inner_text()
    assert api("GET", f"/api/v1/bases/{base['id']}/automations") == []
    screenshot(page, "automation-editor-dry-run")
    page.click("#a-save")
    card = page.locator(".automation", has_text="Follow up updated leads")
    card.wait_for()
    saved = api("GET", f"/api/v1/bases/{base['id']}/automations")
    assert len(saved) == 1
    assert saved[0]["trigger"] == {"type": "record_updated", "options": {"fields": ["Owner"]}}
    assert saved[0]["condition"] == 'AND({Stage} = "Lead", {Score} > 1)'
    assert saved[0]["actions"] == [
        {"type": "update_record", "options": {"values": {
            "Stage": "Contacted", "Note": "=\"owner \" & {Owner}"}}},
        {"type": "notify", "options": {"users": ["admin", "前台"],
                                       "message": '="Lead " & {Name} & " has an owner"'}}]
    card.locator(".enable").click()
    page.locator(".automation[data-enabled=true]").wait_for()
    # trigger it by editing the record in the grid's API, then watch the history
    api("PATCH", f"/api/v1/tables/{tid}/records/{lead['id']}", {"fields": {"Owner": "Dr. Li"}})
    worker = start_embedded_worker(sqlite_server.engine)
    try:
        card = page.locator(".automation", has_text="Follow up updated leads")
        for _ in range(100):
            card.locator(".show-runs").click()
            if page.locator(".runs tr.run[data-status=succeeded]").count():
                break
            page.wait_for_timeout(100)
    finally:
        worker.stop()
    assert page.locator(".runs tr.run[data-status=succeeded]").count() == 1
    step_rows = page.locator(".runs .ae-steps tr.step")
    # the condition gate, then each action, with its status, and the run's log
    assert [step_rows.nth(i).locator("td").first.inner_text()
            for i in range(step_rows.count())] == ["gate", "0", "1"]
    assert {step_rows.nth(i).get_attribute("data-status") for i in range(3)} == {"succeeded"}
    assert "notify succeeded" in page.locator(".runs .log").nth(1).inner_text()
    screenshot(page, "automation-run-history")
    record = api("GET", f"/api/v1/tables/{tid}/records/{lead['id']}")
    assert record["fields"]["Stage"] == "Contacted"
    assert record["fields"]["Note"] == "owner Dr. Li"
    assert page.js_errors == []


def test_edit_an_automation_and_see_errors(context, sqlite_server, api) -> None:
    base, table = _base(api)
    made = api("POST", f"/api/v1/bases/{base['id']}/automations", {
        "name": "Assign new leads", "table_id": table["id"],
        "trigger": {"type": "record_created", "options": {}},
        "actions": [{"type": "assign", "options": {"field": "Owner", "users": ["a", "b"],
                                                   "mode": "least_open"}}]})
    page = new_page(context, sqlite_server)
    page.goto(f"{sqlite_server.url}/bases/{base['id']}/automations")
    page.locator(".automation", has_text="Assign new leads").locator(".edit").click()
    action = page.locator(".ae-action[data-type=assign]")
    assert action.locator("[data-param=field] select").input_value() == "Owner"
    assert action.locator("[data-param=users] input").input_value() == "a, b"
    assert action.locator("[data-param=mode] select").input_value() == "least_open"
    # a required option left empty is named in the error, nothing is saved
    action.locator("[data-param=field] select").select_option("")
    page.click("#a-save")
    page.locator("#automation-error", has_text="Assignee field").wait_for()
    action.locator("[data-param=field] select").select_option("Owner")
    action.locator("[data-param=daily_cap] input").fill("2.5")
    page.click("#a-save")
    page.locator("#automation-error", has_text="whole number").wait_for()
    action.locator("[data-param=daily_cap] input").fill("5")
    # switch the trigger to a date one: its options form follows the registry
    page.select_option("#a-trigger", "schedule")
    page.fill("#a-trigger-options [data-param=cron] input", "not a cron")
    page.click("#a-save")
    page.locator("#automation-error", has_text="cron").wait_for()
    page.fill("#a-trigger-options [data-param=cron] input", "0 9 * * 1-5")
    page.fill("#a-trigger-options [data-param=timezone] input", "Asia/Shanghai")
    # who the runs act as (tessera.access.run_as): the creator by default, here the system
    assert page.locator("#a-run-as").input_value() == "user:1"
    page.select_option("#a-run-as", "system")
    page.click("#a-save")
    wait_until(page, "() => document.getElementById('automation-editor').dataset.saved")
    saved = api("GET", f"/api/v1/automations/{made['id']}")
    assert saved["trigger"] == {"type": "schedule",
                                "options": {"cron": "0 9 * * 1-5", "timezone": "Asia/Shanghai"}}
    assert saved["actions"][0]["options"] == {"field": "Owner", "users": ["a", "b"],
                                              "mode": "least_open", "daily_cap": 5}
    assert saved["run_as"]["kind"] == "system"
    assert page.js_errors == []


def test_editor_in_chinese(context, sqlite_server, api) -> None:
    base, _ = _base(api)
    page = new_page(context, sqlite_server)
    page.goto(f"{sqlite_server.url}/ui/lang/zh?next=/bases/{base['id']}/automations")
    page.locator("#a-trigger option", has_text="记录更新时").wait_for(state="attached")
    page.select_option(".ae-add-type", "update_record")
    page.click(".ae-add-action")
    assert page.locator(".ae-action[data-type=update_record] .ae-action-label")\
        .inner_text() == "更新记录"
    assert "设置字段" in page.locator(".ae-action[data-type=update_record] label").first\
        .inner_text()
    page.click("#a-save")
    page.locator("#automation-error", has_text="请填写自动化名称").wait_for()
    screenshot(page, "automation-editor-zh")
