"""Comments on a record (the record page's discussion): add and list, stored in
``record_comments`` (tessera/web/ui_models.py). A comment is plain text; templates escape it."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from tessera.errors import NotFoundError, TesseraError
from tessera.fields.sqltypes import utcnow
from tessera.schema.catalog import Bind, get_table, sa_table, transaction
from tessera.web.ui_models import RECORD_COMMENTS

__all__ = ["Comment", "CommentError", "MAX_COMMENT", "add_comment", "list_comments"]

MAX_COMMENT = 5000


class CommentError(TesseraError):
    http_status = 400
    code = "invalid_comment"


@dataclass(frozen=True)
class Comment:
    id: int
    author: str
    body: str
    created_at: datetime

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "created_at": self.created_at.isoformat()}


def add_comment(bind: Bind, table_id: int, record_id: int, author: str, body: str) -> Comment:
    """Add a comment to an existing record; empty or over-long text is refused."""
    text = body.strip()
    if not text or len(text) > MAX_COMMENT:
        raise CommentError(
            f"A comment needs 1 to {MAX_COMMENT} characters; write something (shorter).",
            f"评论需要 1 到 {MAX_COMMENT} 个字符，请填写（或缩短）内容。")
    with transaction(bind) as conn:
        t = sa_table(get_table(conn, table_id))
        if conn.execute(sa.select(t.c.id).where(t.c.id == record_id)).first() is None:
            raise NotFoundError("record", record_id)
        row = conn.execute(sa.insert(RECORD_COMMENTS).values(
            table_id=table_id, record_id=record_id, author=author, body=text,
            created_at=utcnow()).returning(RECORD_COMMENTS.c.id, RECORD_COMMENTS.c.created_at)
        ).one()
        return Comment(row.id, author, text, row.created_at)


def list_comments(bind: Bind, table_id: int, record_id: int) -> list[Comment]:
    """A record's comments, oldest first (a conversation reads top to bottom)."""
    c = RECORD_COMMENTS.c
    with transaction(bind) as conn:
        rows = conn.execute(sa.select(c.id, c.author, c.body, c.created_at)
                            .where(c.table_id == table_id, c.record_id == record_id)
                            .order_by(c.id)).all()
        return [Comment(r.id, r.author, r.body, r.created_at) for r in rows]
