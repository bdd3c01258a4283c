"""Public intake forms: a form view shared by an unguessable, revocable link that works
without signing in (``/f/{token}``), e.g. a clinic's new-lead form on its website.

- **The link**: 32 random bytes (``secrets.token_urlsafe``), made and revoked on the form page
  by a user who may change the table's schema; a revoked link answers 410 and never works again.
- **Who writes**: the submission acts as the user who made the link, so that user's field
  permissions and row rules apply (tessera.access); a removed or disabled owner ends the link.
- **Only the form's fields**: values are read for the fields the form shows (its view's
  ``fields``, the form field types) and nothing else, whatever else the request carries.
- **CSRF**: the page sets a random cookie (``SameSite=Strict``, path ``/f/``) and puts
  ``nonce.time.HMAC(secret, token|nonce|time)`` in the form; a POST must bring both, matching,
  within :data:`TOKEN_MAX_AGE` — another site can neither read the cookie nor forge the HMAC.
- **Rate limit**: at most :data:`PER_CLIENT` submissions per client address and
  :data:`PER_LINK` per link within :data:`WINDOW`, counted in ``ui_form_hits`` so every web
  process counts the same; beyond it a 429 with ``Retry-After``.
- **Validation**: the field types' own (RecordService); errors show at each field with the
  typed values kept, in the visitor's language."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from tessera import schema_ops
from tessera.access.context import acting_principal
from tessera.access.errors import ForbiddenError
from tessera.access.scope import table_scope
from tessera.auth.models import USERS
from tessera.auth.principal import Principal
from tessera.auth.settings import secret_key
from tessera.errors import NotFoundError, RecordValidationError, TesseraError
from tessera.fields.sqltypes import utcnow
from tessera.records import RecordService
from tessera.schema.catalog import Bind, FieldInfo, TableInfo, transaction
from tessera.web.ui_i18n import render_ui, ui_locale
from tessera.web.ui_models import FORM_HITS, FORM_LINKS

__all__ = ["FormLink", "create_link", "revoke_link", "links_of", "find_link", "form_token",
           "check_form_token", "PUBLIC_FORM_ROUTES", "SHARE_ROUTES", "PER_CLIENT", "PER_LINK",
           "WINDOW", "TOKEN_MAX_AGE", "NONCE_COOKIE"]

PER_CLIENT = 10
PER_LINK = 300
WINDOW = timedelta(minutes=10)
TOKEN_MAX_AGE = 4 * 3600
NONCE_COOKIE = "tessera_form_nonce"


@dataclass(frozen=True)
class FormLink:
    id: int
    token: str
    table_id: int
    view_id: int | None
    created_by: int
    revoked: bool


def _link(row: Any) -> FormLink:
    return FormLink(row.id, row.token, row.table_id, row.view_id, row.created_by,
                    row.revoked_at is not None)


# --- links -------------------------------------------------------------------------------
def create_link(bind: Bind, principal: Principal, table_id: int, view_id: int | None) -> FormLink:
    """A new link to the table's form (its view's form if ``view_id``), made by ``principal``."""
    from tessera.models import View

    V = View.__table__
    with transaction(bind, write=True) as conn:
        table_scope(conn, principal, table_id, "schema.write")
        if principal.user_id is None:
            raise _refused("Only a signed-in user can share a form: submissions act as them.",
                           "只有登录用户才能分享表单：提交将以该用户身份写入。")
        if view_id is not None and conn.execute(sa.select(V.c.id).where(
                V.c.id == view_id, V.c.table_id == table_id)).first() is None:
            raise NotFoundError("view", view_id)
        token = secrets.token_urlsafe(32)
        new_id = conn.execute(sa.insert(FORM_LINKS).values(
            token=token, table_id=table_id, view_id=view_id, created_by=principal.user_id,
            created_at=utcnow()).returning(FORM_LINKS.c.id)).scalar_one()
    return FormLink(new_id, token, table_id, view_id, principal.user_id, False)


def revoke_link(bind: Bind, principal: Principal, table_id: int, link_id: int) -> None:
    with transaction(bind, write=True) as conn:
        table_scope(conn, principal, table_id, "schema.write")
        done = conn.execute(sa.update(FORM_LINKS).where(
            FORM_LINKS.c.id == link_id, FORM_LINKS.c.table_id == table_id,
            FORM_LINKS.c.revoked_at.is_(None)).values(revoked_at=utcnow())).rowcount
    if not done:
        raise NotFoundError("form link", link_id)


def links_of(bind: Bind, table_id: int, view_id: int | None) -> list[FormLink]:
    """The live links of the table's form (of that view), newest first."""
    view = FORM_LINKS.c.view_id.is_(None) if view_id is None else FORM_LINKS.c.view_id == view_id
    with transaction(bind) as conn:
        rows = conn.execute(sa.select(FORM_LINKS).where(
            FORM_LINKS.c.table_id == table_id, view, FORM_LINKS.c.revoked_at.is_(None))
            .order_by(FORM_LINKS.c.id.desc())).all()
    return [_link(r) for r in rows]


def find_link(bind: Bind, token: str) -> FormLink | None:
    if not 20 <= len(token) <= 64:
        return None
    with transaction(bind) as conn:
        row = conn.execute(sa.select(FORM_LINKS).where(FORM_LINKS.c.token == token)).first()
    return _link(row) if row is not None else None


# --- CSRF bound to the form page ---------------------------------------------------------
def _sign(key: str, link_token: str, nonce: str, issued: int) -> str:
    return hmac.new(key.encode(), f"{link_token}|{nonce}|{issued}".encode(),
                    hashlib.sha256).hexdigest()


def form_token(key: str, link_token: str, nonce: str, now: float | None = None) -> str:
    issued = int(now if now is not None else time.time())
    return f"{nonce}.{issued}.{_sign(key, link_token, nonce, issued)}"


def check_form_token(key: str, link_token: str, sent: str, cookie_nonce: str,
                     now: float | None = None) -> bool:
    """Whether ``sent`` was issued for this link to the browser holding ``cookie_nonce``,
    within :data:`TOKEN_MAX_AGE`."""
    nonce, _, rest = sent.partition(".")
    issued_raw, _, signature = rest.partition(".")
    if not nonce or not cookie_nonce or not issued_raw.isdigit():
        return False
    age = (now if now is not None else time.time()) - int(issued_raw)
    expected = _sign(key, link_token, nonce, int(issued_raw))
    return (hmac.compare_digest(nonce, cookie_nonce) and 0 <= age <= TOKEN_MAX_AGE
            and hmac.compare_digest(signature, expected))


# --- rate limit --------------------------------------------------------------------------
def _retry_after(bind: Bind, link_id: int, client_ip: str) -> int:
    """Seconds until this address may submit to the link again (0: now, and counted)."""
    now = utcnow()
    since = now - WINDOW
    with transaction(bind, write=True) as conn:
        conn.execute(sa.delete(FORM_HITS).where(FORM_HITS.c.created_at < since))
        recent = FORM_HITS.c.link_id == link_id, FORM_HITS.c.created_at >= since
        mine = conn.execute(sa.select(FORM_HITS.c.created_at).where(
            *recent, FORM_HITS.c.client_ip == client_ip).order_by(FORM_HITS.c.created_at)
            .limit(PER_CLIENT)).scalars().all()
        total = conn.execute(sa.select(sa.func.count()).select_from(FORM_HITS)
                             .where(*recent)).scalar_one()
        if len(mine) >= PER_CLIENT or total >= PER_LINK:
            oldest = mine[0] if len(mine) >= PER_CLIENT else since + timedelta(minutes=1)
            return max(1, int((oldest + WINDOW - now).total_seconds()))
        conn.execute(sa.insert(FORM_HITS).values(link_id=link_id, client_ip=client_ip,
                                                 created_at=now))
    return 0


# --- the public page ---------------------------------------------------------------------
def _refused(en: str, zh: str) -> ForbiddenError:
    return ForbiddenError(en, zh)


def _owner(conn: Any, link: FormLink) -> Principal | None:
    user = conn.execute(sa.select(USERS).where(USERS.c.id == link.created_by)).first()
    if user is None or not user.is_active:
        return None
    return Principal(user.id, user.username, is_admin=bool(user.is_admin))


@dataclass
class _Form:
    link: FormLink
    owner: Principal
    table: TableInfo
    title: str
    fields: list[FieldInfo]


def _load(bind: Bind, token: str) -> _Form | None:
    """The link's form as its owner sees it (None: no such link, revoked, or owner gone)."""
    from tessera.web.views_pages import form_fields

    link = find_link(bind, token)
    if link is None or link.revoked:
        return None
    with transaction(bind) as conn:
        owner = _owner(conn, link)
        if owner is None:
            return None
        scope = table_scope(conn, owner, link.table_id, "records.write")
        view = next((v for v in schema_ops.list_views(conn, link.table_id)
                     if v.id == link.view_id), None)
    fields = [f for f in form_fields(scope.table, view) if f.id not in scope.read_only]
    return _Form(link, owner, scope.table, view.name if view else scope.table.name, fields)


def _gone(request: Request) -> Response:
    return render_ui(request, "pages/public_form.html",
                     {"gone": True, "title": "", "fields": [], "errors": {}, "values": {},
                      "sent": False, "token": "", "problem": None}, status_code=410)


async def _key(request: Request) -> str:
    state = request.app.state
    key = getattr(state, "secret_key", None)
    if key is None:
        key = state.secret_key = await run_in_threadpool(secret_key, request.app.state.engine)
    return str(key)


async def _render(request: Request, form: _Form, *, values: dict[str, Any],
                  errors: dict[str, str], problem: str | None = None,
                  status_code: int = 200) -> Response:
    nonce = request.cookies.get(NONCE_COOKIE, "")
    if not 20 <= len(nonce) <= 64:
        nonce = secrets.token_urlsafe(24)
    token = form_token(await _key(request), form.link.token, nonce)
    response = render_ui(request, "pages/public_form.html", {
        "gone": False, "title": form.title, "fields": form.fields, "errors": errors,
        "values": values, "sent": request.query_params.get("sent") == "1", "token": token,
        "problem": problem}, status_code=status_code)
    secure = request.url.scheme == "https"
    response.set_cookie(NONCE_COOKIE, nonce, max_age=TOKEN_MAX_AGE, path="/f/", httponly=True,
                        samesite="strict", secure=secure)
    response.headers["cache-control"] = "no-store"
    response.headers["referrer-policy"] = "no-referrer"  # the link is the credential
    return response


async def public_form(request: Request) -> Response:
    """``GET``/``POST /f/{token}``: the shared form, without signing in."""
    from tessera.web.ui_i18n import ui_text
    from tessera.web.views_pages import form_values

    engine = request.app.state.engine
    form = await run_in_threadpool(_load, engine, request.path_params["token"])
    if form is None:
        return _gone(request)
    if request.method != "POST":
        return await _render(request, form, values={}, errors={})
    locale = ui_locale(request)
    posted = await request.form()
    values = form_values(form.fields, posted)  # only the form's own fields
    if not check_form_token(await _key(request), form.link.token,
                            str(posted.get("form_token") or ""),
                            request.cookies.get(NONCE_COOKIE, "")):
        return await _render(request, form, values=values, errors={},
                             problem=ui_text("form_expired", locale), status_code=403)
    from tessera.auth.pages import client_ip

    wait = await run_in_threadpool(_retry_after, engine, form.link.id, client_ip(request)[:64])
    if wait:
        response = await _render(request, form, values=values, errors={},
                                 problem=ui_text("form_rate_limited", locale).format(wait),
                                 status_code=429)
        response.headers["retry-after"] = str(wait)
        return response
    service = RecordService(engine, locale=locale, principal=form.owner)
    try:
        await run_in_threadpool(service.create, form.table.id, values)
    except RecordValidationError as exc:
        errors = {}
        for error in exc.errors:
            field = form.table.field(error.field)
            errors[f"f_{field.id}"] = error.message_zh if locale == "zh" else error.message_en
        return await _render(request, form, values=values, errors=errors, status_code=422)
    except TesseraError as exc:  # e.g. outside the owner's row rule: say so at the form
        return await _render(request, form, values=values, errors={},
                             problem=exc.message(locale), status_code=exc.http_status)
    return RedirectResponse(request.url.path + "?sent=1", status_code=303)


# --- sharing, on the form page -----------------------------------------------------------
def _form_page(request: Request, view_id: int | None) -> str:
    path = request.url_for("table_form", table_id=request.path_params["table_id"]).path
    return path + (f"?view={view_id}" if view_id else "")


async def share_endpoint(request: Request) -> Response:
    """``POST /tables/{id}/form/links`` (form ``view``): a new public link, back to the page."""
    posted = await request.form()
    raw = str(posted.get("view") or "")
    view_id = int(raw) if raw.isdigit() else None
    await run_in_threadpool(create_link, request.app.state.engine, acting_principal(),
                            request.path_params["table_id"], view_id)
    return RedirectResponse(_form_page(request, view_id) + "#share", status_code=303)


async def revoke_endpoint(request: Request) -> Response:
    """``POST /tables/{id}/form/links/{link_id}/revoke``: the link stops working for good."""
    posted = await request.form()
    raw = str(posted.get("view") or "")
    await run_in_threadpool(revoke_link, request.app.state.engine, acting_principal(),
                            request.path_params["table_id"], request.path_params["link_id"])
    return RedirectResponse(_form_page(request, int(raw) if raw.isdigit() else None) + "#share",
                            status_code=303)


PUBLIC_FORM_ROUTES = [
    Route("/f/{token}", public_form, methods=["GET", "POST"], name="public_form"),
]
SHARE_ROUTES = [
    Route("/tables/{table_id:int}/form/links", share_endpoint, methods=["POST"],
          name="form_share"),
    Route("/tables/{table_id:int}/form/links/{link_id:int}/revoke", revoke_endpoint,
          methods=["POST"], name="form_revoke"),
]
