"""Text encoding of a CSV file: UTF-8 with a BOM, UTF-8, then GB18030 (what Chinese Excel and
WPS write when saving "CSV"). GB18030 covers GBK and GB2312."""

from __future__ import annotations

import codecs
from pathlib import Path

from tessera.io.errors import ImportFileError

__all__ = ["detect_encoding", "CANDIDATES"]

CANDIDATES = ("utf-8", "gb18030")
_SAMPLE = 1 << 20  # 1 MiB decides; the reader still fails loudly on a later bad byte


def _decodes(data: bytes, encoding: str, *, final: bool) -> bool:
    decoder = codecs.getincrementaldecoder(encoding)()
    try:
        decoder.decode(data, final=final)
    except UnicodeDecodeError:
        return False
    return True


def detect_encoding(path: str | Path) -> str:
    """The Python codec name to read ``path`` with (``utf-8-sig`` when it starts with a BOM)."""
    with open(path, "rb") as handle:
        data = handle.read(_SAMPLE)
        final = len(data) < _SAMPLE
    if data.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    for encoding in CANDIDATES:
        if _decodes(data, encoding, final=final):
            return encoding
    raise ImportFileError(
        f"{Path(path).name}: the text is neither UTF-8 nor GB18030. Save the file as "
        "'CSV UTF-8' in Excel (or as .xlsx) and import it again.",
        f"{Path(path).name}：文件编码既不是 UTF-8 也不是 GB18030。请在 Excel 中另存为"
        "“CSV UTF-8”（或 .xlsx）后重新导入。", code="import_encoding_unknown")
