"""The tier rule, end to end: an unmarked test stops the run at collection, even under -m."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration


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
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "ballast.testing.plugin", "-m", "unit", "-q"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    output = run.stdout + run.stderr
    assert run.returncode == pytest.ExitCode.USAGE_ERROR, output
    assert "test_sample.py::test_plain: no tier marker" in output
    assert "test_sample.py::test_both: several tier markers (integration, unit)" in output
    assert "test_fine" not in output
