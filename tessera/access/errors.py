"""Access errors: 401 when nobody is signed in, 403 when the signed-in user lacks the role
(the message names the action, the user's role and what to do)."""

from __future__ import annotations

from tessera.errors import SchemaError, TesseraError

__all__ = ["ForbiddenError", "SignInRequiredError", "forbidden", "invalid_role",
           "ACTION_LABELS"]

ACTION_LABELS: dict[str, tuple[str, str]] = {
    "base.read": ("open this base", "打开此数据库"),
    "base.rename": ("rename this base", "重命名此数据库"),
    "base.delete": ("delete this base", "删除此数据库"),
    "access.manage": ("manage who may access this base", "管理此数据库的访问权限"),
    "schema.write": ("change tables, fields or views", "修改表、字段或视图"),
    "records.read": ("read records", "读取记录"),
    "records.export": ("export records", "导出记录"),
    "records.comment": ("comment on records", "评论记录"),
    "records.write": ("change records", "修改记录"),
    "records.update": ("change records", "修改记录"),
    "records.import": ("import records", "导入记录"),
    "automations.read": ("see automations", "查看自动化"),
    "automations.write": ("change automations", "修改自动化"),
    "automations.run": ("run automations", "运行自动化"),
}


class ForbiddenError(TesseraError):
    http_status = 403
    code = "forbidden"


class SignInRequiredError(TesseraError):
    http_status = 401
    code = "sign_in_required"

    def __init__(self) -> None:
        super().__init__("Sign in first (or send an API token: Authorization: Bearer <token>).",
                         "请先登录（或发送 API 令牌：Authorization: Bearer <令牌>）。")


def forbidden(action: str, role: str | None, *, what: str = "") -> ForbiddenError:
    en, zh = ACTION_LABELS.get(action, (action, action))
    if role is None:
        role_en, role_zh = "you have no role on this base", "您在此数据库中没有角色"
    else:
        from tessera.access.roles import ROLE_LABELS

        label_en, label_zh = ROLE_LABELS.get(role, (role, role))
        role_en, role_zh = f"your role here is {label_en}", f"您在此的角色是{label_zh}"
    suffix_en = f" ({what})" if what else ""
    suffix_zh = f"（{what}）" if what else ""
    return ForbiddenError(
        f"You may not {en}{suffix_en}: {role_en}. Ask the base's owner for access.",
        f"您无权{zh}{suffix_zh}：{role_zh}。请向该数据库的所有者申请权限。",
        details={"action": action, "role": role})


def invalid_role(role: str) -> SchemaError:
    from tessera.access.roles import ROLES

    return SchemaError(f"Unknown role {role!r}; use one of: {', '.join(ROLES)}.",
                       f"未知角色 {role!r}，可用：{', '.join(ROLES)}。", code="invalid_role")
