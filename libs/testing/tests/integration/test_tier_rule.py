"""The tier rule, end to end: an unmarked test stops the run at collection, even under -m."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest


def collect_units(folder: Path) -> tuple[subprocess.CompletedProcess[str], str]:
    """`pytest -m unit` in `folder` with Ballast's plugin: the run, and all it printed."""
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "ballast.testing.plugin", "-m", "unit", "-q"],
        cwd=folder, capture_output=True, text=True, timeout=60,
    )
    return run, run.stdout + run.stderr

def test_collection__unmarked_and_double_marked_tests__usage_error_lists_both(
    tmp_path: Path,
) -> None:
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    (tmp_path / "test_sample.py").write_text(
        "import pytest\n"
        "def test_plain(): pass\n"
        "@pytest.mark.unit\n@pytest.mark.integration\ndef test_both(): pass\n"
        "@pytest.mark.unit\ndef test_fine(): pass\n"
    )
    run, output = collect_units(tmp_path)
    assert run.returncode == pytest.ExitCode.USAGE_ERROR, output
    assert "test_sample.py::test_plain: no tier marker" in output
    assert "test_sample.py::test_both: several tier markers (integration, unit)" in output
    assert "test_fine" not in output


def test_collection__folder_gives_the_tier__a_module_marker_naming_another_is_refused(
    tmp_path: Path,
) -> None:
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    (tmp_path / "unit").mkdir()
    (tmp_path / "unit" / "test_plain.py").write_text("def test_in_unit(): pass\n")
    (tmp_path / "integration").mkdir()
    (tmp_path / "integration" / "test_other.py").write_text(
        "import pytest\npytestmark = pytest.mark.unit\ndef test_says_unit(): pass\n"
    )
    run, output = collect_units(tmp_path)
    assert run.returncode == pytest.ExitCode.USAGE_ERROR, output
    assert "test_other.py::test_says_unit: several tier markers (integration, unit)" in output
    assert "test_in_unit" not in output
