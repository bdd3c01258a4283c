"""A pack folder as a zip archive, both ways: ``read_pack_zip`` takes an uploaded zip apart into
the text of pack.yaml and its locale overlays (what the packs REST API takes), and
``pack_zip`` builds the downloadable archive of an exported base. Uploaded archives are
bounded (entries, sizes) so a zip bomb is refused, not unpacked."""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from tessera.errors import TesseraError

__all__ = ["PackArchiveError", "PackFiles", "read_pack_zip", "pack_zip", "MAX_ZIP_BYTES",
           "MAX_FILE_BYTES"]

MAX_ZIP_BYTES = 5 * 1024 * 1024     # the uploaded archive
MAX_FILE_BYTES = 2 * 1024 * 1024    # one file in it, uncompressed
MAX_ENTRIES = 200
PACK_FILE = "pack.yaml"


class PackArchiveError(TesseraError):
    http_status = 400

    def __init__(self, en: str, zh: str) -> None:
        super().__init__(en, zh, code="pack.archive")


@dataclass
class PackFiles:
    """pack.yaml's text and the locale overlays (language → text)."""

    text: str
    locales: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, object]:
        return {"text": self.text, "locales": self.locales}


def _decode(data: bytes, name: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise PackArchiveError(f"{name} is not UTF-8 text; save it as UTF-8 and upload again.",
                               f"{name} 不是 UTF-8 文本，请另存为 UTF-8 后重新上传。") from exc


def read_pack_zip(data: bytes) -> PackFiles:
    """pack.yaml (at the top or in one folder) and the ``locales/*.yaml`` next to it."""
    if len(data) > MAX_ZIP_BYTES:
        raise PackArchiveError(f"The archive is larger than {MAX_ZIP_BYTES // 1048576} MB; a pack "
                               "is a few text files.",
                               f"压缩包超过 {MAX_ZIP_BYTES // 1048576} MB；应用包只是几个文本文件。")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as exc:
        raise PackArchiveError("This file is not a zip archive; upload the pack's .zip, or its "
                               "pack.yaml.", "此文件不是 zip 压缩包；请上传应用包的 .zip 或 pack.yaml。") \
            from exc
    with archive:
        entries = [i for i in archive.infolist() if not i.is_dir()]
        if len(entries) > MAX_ENTRIES:
            raise PackArchiveError(f"The archive holds {len(entries)} files; a pack has at most "
                                   f"{MAX_ENTRIES}.", f"压缩包含 {len(entries)} 个文件；应用包最多 "
                                   f"{MAX_ENTRIES} 个。")
        packs = sorted((i for i in entries if PurePosixPath(i.filename).name == PACK_FILE),
                       key=lambda i: len(PurePosixPath(i.filename).parts))
        if not packs:
            raise PackArchiveError("The archive has no pack.yaml; zip the pack's folder.",
                                   "压缩包中没有 pack.yaml；请压缩应用包所在的文件夹。")
        root = PurePosixPath(packs[0].filename).parent

        def read(info: zipfile.ZipInfo) -> str:
            if info.file_size > MAX_FILE_BYTES:
                raise PackArchiveError(
                    f"{info.filename} is larger than {MAX_FILE_BYTES // 1048576} MB uncompressed.",
                    f"{info.filename} 解压后超过 {MAX_FILE_BYTES // 1048576} MB。")
            with archive.open(info) as stream:
                return _decode(stream.read(MAX_FILE_BYTES + 1)[:MAX_FILE_BYTES], info.filename)

        locales = {PurePosixPath(i.filename).stem: read(i) for i in entries
                   if PurePosixPath(i.filename).parent == root / "locales"
                   and i.filename.endswith(".yaml")}
        return PackFiles(read(packs[0]), locales)


def pack_zip(folder_name: str, files: dict[str, str]) -> bytes:
    """A zip with ``files`` (relative path → text) under ``folder_name/``."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path, text in files.items():
            archive.writestr(f"{folder_name}/{path}", text.encode("utf-8"))
    return buffer.getvalue()
