from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from ballast.common.db import from_row, load_migrations


def test_load_migrations__bad_file_name__clear_error(tmp_path: Path) -> None:
    (tmp_path / "create_things.sql").write_text("SELECT 1;")
    with pytest.raises(ValueError, match="NNNN_name.sql"):
        load_migrations(tmp_path)


def test_load_migrations__files__in_version_order(tmp_path: Path) -> None:
    (tmp_path / "0002_b.sql").write_text("SELECT 2;")
    (tmp_path / "0001_a.sql").write_text("SELECT 1;")
    assert [(m.version, m.name) for m in load_migrations(tmp_path)] == [(1, "a"), (2, "b")]


def test_load_migrations__duplicate_version__refused(tmp_path: Path) -> None:
    (tmp_path / "0001_a.sql").write_text("SELECT 1;")
    (tmp_path / "0001_b.sql").write_text("SELECT 2;")
    with pytest.raises(ValueError, match="duplicate"):
        load_migrations(tmp_path)


@dataclass(frozen=True)
class _Row:
    id: int
    name: str
    size: int = 0


def test_from_row__columns_by_field_name__converted_ones_win() -> None:
    row = {"id": 7, "name": "a", "size": "12", "other": "ignored"}
    assert from_row(_Row, row, size=int(row["size"])) == _Row(7, "a", 12)
    with pytest.raises(KeyError, match="size"):
        from_row(_Row, {"id": 1, "name": "b"})
