"""Authentication errors: each says what went wrong and what to do, in English and Chinese.

They subclass :class:`tessera.errors.TesseraError`, so the web layer renders them through its
one error path (JSON for the API, a page for the browser) with the right HTTP status."""

from __future__ import annotations

from tessera.errors import TesseraError

__all__ = ["NotAuthenticated", "Forbidden", "TooManyAttempts", "CsrfFailed", "AuthInputError"]


class NotAuthenticated(TesseraError):
    http_status = 401
    code = "not_authenticated"

    def __init__(self) -> None:
        super().__init__(
            "You are not signed in or your session has expired; sign in at /login or send "
            "'Authorization: Bearer <token>'.",
            "您尚未登录或登录已过期；请在 /login 登录，或发送 'Authorization: Bearer <令牌>'。",
        )


class Forbidden(TesseraError):
    http_status = 403
    code = "forbidden"

    def __init__(self, what_en: str = "this page", what_zh: str = "此页面") -> None:
        super().__init__(
            f"You may not open {what_en}; ask an administrator for access.",
            f"您无权访问{what_zh}；请联系管理员开通权限。",
        )


class TooManyAttempts(TesseraError):
    http_status = 429
    code = "too_many_attempts"

    def __init__(self, retry_after: int) -> None:
        super().__init__(
            f"Too many failed sign-ins for this user from your address; wait {retry_after} "
            "seconds and try again.",
            f"该用户从您的地址登录失败次数过多；请等待 {retry_after} 秒后再试。",
            details={"retry_after": retry_after},
        )
        self.retry_after = retry_after


class CsrfFailed(TesseraError):
    http_status = 403
    code = "csrf_failed"

    def __init__(self) -> None:
        super().__init__(
            "The form's security token is missing or stale; reload the page and submit again.",
            "表单的安全令牌缺失或已过期；请刷新页面后重新提交。",
        )


class AuthInputError(TesseraError):
    """A bad username, password, group or token argument."""

    code = "invalid_auth_input"
