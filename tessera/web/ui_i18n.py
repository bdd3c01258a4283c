"""The browser UI's language: a per-user cookie (``tessera_lang``) over Accept-Language, the
UI's message catalog (server templates and the grid's JavaScript share it) and the page
renderer that uses both.

The cookie wins so a user who picked 中文 keeps it on every page whatever the browser says;
without it the API's negotiation (tessera.web.i18n) decides."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import HTTPConnection, Request
from starlette.responses import RedirectResponse, Response

from tessera.web.i18n import MESSAGES, SUPPORTED, negotiate

__all__ = ["LANG_COOKIE", "ui_locale", "ui_text", "UI_MESSAGES", "JS_KEYS", "js_messages",
           "render_ui", "set_language", "threaded_page"]

LANG_COOKIE = "tessera_lang"

UI_MESSAGES: dict[str, dict[str, str]] = {
    "language": {"en": "中文", "zh": "English"},
    "views": {"en": "Views", "zh": "视图"},
    "all_records": {"en": "All records", "zh": "全部记录"},
    "grid": {"en": "Grid", "zh": "表格"},
    "kanban": {"en": "Kanban", "zh": "看板"},
    "calendar": {"en": "Calendar", "zh": "日历"},
    "form": {"en": "Form", "zh": "表单"},
    "filter": {"en": "Filter", "zh": "筛选"},
    "sort": {"en": "Sort", "zh": "排序"},
    "group": {"en": "Group", "zh": "分组"},
    "hide_fields": {"en": "Hide fields", "zh": "隐藏字段"},
    "add_field": {"en": "+ Field", "zh": "+ 字段"},
    "add_row": {"en": "+ Row", "zh": "+ 行"},
    "no_add_row": {"en": "Your role may not add rows: ask an editor or the base's owner.",
                   "zh": "您的角色不能新增行：请联系编辑者或数据库所有者。"},
    "no_add_field": {"en": "Your role may not add fields: ask the base's owner or an admin.",
                     "zh": "您的角色不能新增字段：请联系数据库所有者或管理员。"},
    "save_view": {"en": "Save view", "zh": "保存视图"},
    "save_as_view": {"en": "Save as new view", "zh": "另存为新视图"},
    "view_name": {"en": "View name", "zh": "视图名称"},
    "go_to_row": {"en": "Go to row", "zh": "跳到行"},
    "row_height": {"en": "Row height", "zh": "行高"},
    "new_table": {"en": "New table", "zh": "新建表"},
    "new_base": {"en": "New base", "zh": "新建数据库"},
    "create": {"en": "Create", "zh": "创建"},
    "name": {"en": "Name", "zh": "名称"},
    "type": {"en": "Type", "zh": "类型"},
    "choices": {"en": "Choices (one per line)", "zh": "选项（每行一个）"},
    "target_table": {"en": "Linked table", "zh": "关联的表"},
    "formula": {"en": "Formula", "zh": "公式"},
    "save": {"en": "Save", "zh": "保存"},
    "cancel": {"en": "Cancel", "zh": "取消"},
    "delete": {"en": "Delete", "zh": "删除"},
    "rename": {"en": "Rename", "zh": "重命名"},
    "edit_field": {"en": "Edit field", "zh": "编辑字段"},
    "new_field": {"en": "New field", "zh": "新字段"},
    "preview": {"en": "Preview", "zh": "预览"},
    "will_not_convert": {"en": "values will not convert and become empty",
                         "zh": "个值无法转换，将变为空"},
    "converts_all": {"en": "All values convert.", "zh": "所有值都能转换。"},
    "result_type": {"en": "Result type", "zh": "结果类型"},
    "and": {"en": "and", "zh": "并且"},
    "or": {"en": "or", "zh": "或者"},
    "add_condition": {"en": "+ Condition", "zh": "+ 条件"},
    "add_group": {"en": "+ Group", "zh": "+ 条件组"},
    "add_sort": {"en": "+ Sort", "zh": "+ 排序"},
    "apply": {"en": "Apply", "zh": "应用"},
    "clear": {"en": "Clear", "zh": "清除"},
    "ascending": {"en": "A → Z", "zh": "升序"},
    "descending": {"en": "Z → A", "zh": "降序"},
    "none": {"en": "(none)", "zh": "（无）"},
    "empty": {"en": "(empty)", "zh": "（空）"},
    "stack_by": {"en": "Stack by", "zh": "分栏字段"},
    "date_field": {"en": "Date field", "zh": "日期字段"},
    "no_select_field": {"en": "Add a single select field to use the kanban.",
                        "zh": "请先添加一个单选字段才能使用看板。"},
    "no_date_field": {"en": "Add a date field to use the calendar.",
                      "zh": "请先添加一个日期字段才能使用日历。"},
    "submit": {"en": "Submit", "zh": "提交"},
    "form_thanks": {"en": "Thank you — your answer was saved.", "zh": "谢谢，您的信息已提交。"},
    "share_form": {"en": "Share this form", "zh": "分享此表单"},
    "share_form_help": {"en": "Anyone with a link can fill in this form without signing in; "
                               "answers are saved as you. Revoke a link to stop it for good.",
                        "zh": "任何拿到链接的人无需登录即可填写此表单，提交以您的身份保存。"
                              "撤销链接后它将永久失效。"},
    "new_form_link": {"en": "Create a public link", "zh": "创建公开链接"},
    "revoke_link": {"en": "Revoke", "zh": "撤销"},
    "no_form_links": {"en": "No public link yet.", "zh": "尚无公开链接。"},
    "form_gone_title": {"en": "This form is closed", "zh": "此表单已关闭"},
    "form_gone": {"en": "This link no longer works (it was revoked or never existed). Ask the "
                        "clinic for a current link.",
                  "zh": "此链接已失效（已被撤销或不存在），请向诊所索取新的链接。"},
    "form_expired": {"en": "This page expired or was opened elsewhere; your answers are kept "
                           "below — check them and submit again.",
                     "zh": "页面已过期或在别处打开；您填写的内容保留在下方，请检查后重新提交。"},
    "form_rate_limited": {"en": "Too many submissions from your network; please try again in "
                                "{} seconds.",
                          "zh": "您的网络提交次数过多，请在 {} 秒后重试。"},
    "record": {"en": "Record", "zh": "记录"},
    "history": {"en": "History", "zh": "修改历史"},
    "comments": {"en": "Comments", "zh": "评论"},
    "add_comment": {"en": "Add comment", "zh": "发表评论"},
    "linked_records": {"en": "Linked records", "zh": "关联记录"},
    "open": {"en": "Open", "zh": "打开"},
    "prev_month": {"en": "‹ Previous", "zh": "‹ 上个月"},
    "next_month": {"en": "Next ›", "zh": "下个月 ›"},
    "read_only": {"en": "This field is computed and cannot be edited.",
                  "zh": "这是计算字段，不能编辑。"},
    "no_write": {"en": "Your role may not change this field; ask the base's owner for access.",
                 "zh": "您的角色不能修改此字段，请向该数据库的所有者申请权限。"},
    "loading": {"en": "Loading…", "zh": "加载中…"},
    "saved": {"en": "Saved", "zh": "已保存"},
    "undone": {"en": "Undone", "zh": "已撤销"},
    "redone": {"en": "Redone", "zh": "已重做"},
    "nothing_to_undo": {"en": "Nothing to undo", "zh": "没有可撤销的操作"},
    "nothing_to_redo": {"en": "Nothing to redo", "zh": "没有可重做的操作"},
    "live_update": {"en": "Updated by someone else", "zh": "其他人更新了数据"},
    "search": {"en": "Search…", "zh": "搜索…"},
    "freeze": {"en": "Freeze up to here", "zh": "冻结到此列"},
    "unfreeze": {"en": "Unfreeze columns", "zh": "取消冻结"},
    "hide": {"en": "Hide", "zh": "隐藏"},
    "move_left": {"en": "Move left", "zh": "左移"},
    "move_right": {"en": "Move right", "zh": "右移"},
    "sort_asc": {"en": "Sort A → Z", "zh": "升序排序"},
    "sort_desc": {"en": "Sort Z → A", "zh": "降序排序"},
    "confirm_delete_field": {"en": "Delete this field and all its values?",
                             "zh": "删除此字段及其所有值？"},
    "delete_rows": {"en": "Delete rows", "zh": "删除行"},
    "functions": {"en": "Functions", "zh": "函数"},
    "field_types": {"en": "Field types", "zh": "字段类型"},
    "dashboards": {"en": "Dashboards", "zh": "仪表盘"},
    "no_dashboards": {"en": "This base has no dashboards yet (app packs add them).",
                      "zh": "这个数据库还没有仪表盘（应用包会添加）。"},
    "import": {"en": "Import", "zh": "导入"},
    "automations": {"en": "Automations", "zh": "自动化"},
    "import_file": {"en": "Excel or CSV file", "zh": "Excel 或 CSV 文件"},
    "import_mapping": {"en": "Columns → fields", "zh": "列 → 字段"},
    "import_column": {"en": "Column", "zh": "列"},
    "import_status": {"en": "Status", "zh": "状态"},
    "import_key": {"en": "Update records matching on", "zh": "按此字段匹配并更新"},
    "import_create_fields": {"en": "Create fields for unmapped columns",
                             "zh": "为未对应的列创建字段"},
    "new_automation": {"en": "New automation", "zh": "新建自动化"},
    "trigger": {"en": "Trigger", "zh": "触发条件"},
    "trigger_options": {"en": "Trigger options", "zh": "触发选项"},
    "condition": {"en": "Condition (formula)", "zh": "条件（公式）"},
    "actions": {"en": "Actions", "zh": "动作"},
    "enabled": {"en": "Enabled", "zh": "启用"},
    "backfill": {"en": "Also run for records that already match (backfill)",
                 "zh": "对已满足条件的记录也运行（补跑）"},
    # the visual automation editor (automations_page.py) and the pack screens (packs_page.py)
    "ae_table": {"en": "Table", "zh": "数据表"},
    "ae_when": {"en": "When", "zh": "何时触发"},
    "ae_only_if": {"en": "Only if (a formula; blank: always)", "zh": "仅当（公式；留空：总是）"},
    "ae_then": {"en": "Then, in order", "zh": "然后依次执行"},
    "ae_run_as": {"en": "Run as user", "zh": "以此用户身份运行"},
    "ae_dry_run": {"en": "Dry run", "zh": "试运行"},
    "ae_record": {"en": "On record", "zh": "使用记录"},
    "packs": {"en": "App packs", "zh": "应用包"},
    "pack_installed": {"en": "Installed packs", "zh": "已安装的应用包"},
    "pack_none_installed": {"en": "No base was installed from a pack yet.",
                            "zh": "还没有从应用包安装的数据库。"},
    "pack_install": {"en": "Install a pack into a new base", "zh": "把应用包安装到新数据库"},
    "pack_source": {"en": "Pack", "zh": "应用包"},
    "pack_upload": {"en": "or upload pack.yaml (+ locales/*.yaml) or a .zip",
                    "zh": "或上传 pack.yaml（及 locales/*.yaml）或 .zip 文件"},
    "pack_base_name": {"en": "New base name", "zh": "新数据库名称"},
    "pack_sample": {"en": "Sample records (0: none)", "zh": "示例记录数（0：不生成）"},
    "pack_specialty": {"en": "Specialty", "zh": "专科"},
    "pack_version": {"en": "Version", "zh": "版本"},
    "pack_base": {"en": "Base", "zh": "数据库"},
    "pack_updated": {"en": "Updated", "zh": "更新时间"},
    "pack_manage": {"en": "Upgrade / export", "zh": "升级 / 导出"},
    "pack_upgrade": {"en": "Upgrade to a new version", "zh": "升级到新版本"},
    "pack_preview": {"en": "Preview the changes", "zh": "预览变更"},
    "pack_apply": {"en": "Apply the upgrade", "zh": "执行升级"},
    "pack_prune": {"en": "Also delete fields the pack removed, even with data",
                   "zh": "同时删除应用包已移除的字段（即使有数据）"},
    "pack_export": {"en": "Export this base as a pack", "zh": "把此数据库导出为应用包"},
    "pack_download_zip": {"en": "Download pack (.zip)", "zh": "下载应用包（.zip）"},
    "pack_download_yaml": {"en": "Download pack.yaml", "zh": "下载 pack.yaml"},
    "pack_not_installed": {"en": "This base was not installed from a pack: it can be exported, "
                                 "not upgraded.",
                           "zh": "此数据库不是由应用包安装的：可以导出，不能升级。"},
    "import_rejects": {"en": "Download the rejected rows", "zh": "下载被拒绝的行"},
}

# Messages the grid's JavaScript needs (sent to the page as a data attribute).
JS_KEYS = ("read_only", "no_write", "saved", "undone", "redone", "nothing_to_undo", "nothing_to_redo",
           "live_update", "search", "move_left", "move_right", "freeze", "unfreeze", "hide",
           "sort_asc", "sort_desc",
           "edit_field", "new_field", "confirm_delete_field", "will_not_convert",
           "converts_all", "result_type", "and", "or", "add_condition", "add_group", "empty",
           "none", "ascending", "descending", "delete", "loading", "add_sort", "view_name")


def ui_locale(conn: HTTPConnection) -> str:
    chosen = conn.cookies.get(LANG_COOKIE, "")
    if chosen in SUPPORTED:
        return chosen
    return negotiate(conn.headers.get("accept-language"))


def ui_text(key: str, locale: str) -> str:
    entry = UI_MESSAGES.get(key) or MESSAGES[key]
    return entry.get(locale, entry["en"])


def js_messages(locale: str) -> dict[str, str]:
    return {key: ui_text(key, locale) for key in JS_KEYS}


def render_ui(request: Request, template: str, context: dict[str, Any], *,
              status_code: int = 200) -> Response:
    locale = ui_locale(request)
    return request.app.state.templates.TemplateResponse(
        request, template,
        {**context, "locale": locale, "t": lambda key: ui_text(key, locale)},
        status_code=status_code,
        headers={"content-language": locale, "vary": "Accept-Language, Cookie"})


def threaded_page(template: str, build: Callable[..., dict[str, Any]], *params: str
                  ) -> Callable[[Request], Awaitable[Response]]:
    """An endpoint rendering ``template`` with ``build(engine, *path params, locale)``, the
    blocking database work run in the threadpool."""

    async def endpoint(request: Request) -> Response:
        locale = ui_locale(request)
        context = await run_in_threadpool(build, request.app.state.engine,
                                          *[request.path_params[p] for p in params], locale)
        return render_ui(request, template, context)

    return endpoint


async def set_language(request: Request) -> Response:
    """``GET /ui/lang/{lang}?next=/path``: remember the language for a year, go back."""
    lang = request.path_params["lang"]
    target = request.query_params.get("next", "/")
    if not target.startswith("/") or target.startswith("//"):
        target = "/"
    response = RedirectResponse(target, status_code=303)
    if lang in SUPPORTED:
        response.set_cookie(LANG_COOKIE, lang, max_age=365 * 86400, samesite="lax")
    return response
