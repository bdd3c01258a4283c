"""The one error raised for a file Tessera cannot import or export as asked."""

from __future__ import annotations

from tessera.errors import TesseraError

__all__ = ["ImportFileError"]


class ImportFileError(TesseraError):
    """The file (or the options given with it) cannot be imported: the message says why and
    what to do, in English and Chinese."""

    http_status = 400
    code = "import_file_invalid"
