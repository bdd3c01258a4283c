"""The import runs with raised garbage-collector thresholds and always restores them."""

from __future__ import annotations

import gc
import threading
from pathlib import Path

import pytest
from iofiles import write_xlsx

from tessera.io import ImportFileError, ImportOptions, import_file
from tessera.io.gctune import IMPORT_THRESHOLDS, fewer_collections


def test_thresholds_are_raised_inside_and_restored_after() -> None:
    before = gc.get_threshold()
    with fewer_collections():
        assert gc.get_threshold() == IMPORT_THRESHOLDS
    assert gc.get_threshold() == before
    with pytest.raises(RuntimeError), fewer_collections():
        raise RuntimeError("boom")
    assert gc.get_threshold() == before


def test_overlapping_imports_restore_when_the_last_one_ends() -> None:
    before = gc.get_threshold()
    first_in, release = threading.Event(), threading.Event()

    def first() -> None:
        with fewer_collections():
            first_in.set()
            release.wait(10)

    worker = threading.Thread(target=first)
    worker.start()
    first_in.wait(10)
    with fewer_collections():   # the second import ends while the first still runs
        pass
    assert gc.get_threshold() == IMPORT_THRESHOLDS
    release.set()
    worker.join(10)
    assert gc.get_threshold() == before


def test_import_file_runs_with_fewer_collections(engine, make_table, tmp_path: Path) -> None:
    table = make_table("客户", [("次数", "number", None)])
    path = write_xlsx(tmp_path / "g.xlsx", [["姓名", "次数"]] + [[f"n{i}", i] for i in range(5)])
    before = gc.get_threshold()
    during: list[tuple[int, ...]] = []
    result = import_file(engine, table.id, path, ImportOptions(chunk_size=2),
                         progress=lambda done, total: during.append(gc.get_threshold()))
    assert result.created == 5
    assert during and set(during) == {IMPORT_THRESHOLDS}
    assert gc.get_threshold() == before
    with pytest.raises(ImportFileError):   # a failing import restores them too
        import_file(engine, table.id, tmp_path / "missing.xlsx", ImportOptions())
    assert gc.get_threshold() == before
