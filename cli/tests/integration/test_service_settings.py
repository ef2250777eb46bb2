"""Every service refuses to start on a missing setting, with one line naming the key."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from ballast.cli.registry import ServiceSpec, installed_services


@pytest.mark.parametrize("spec", installed_services(), ids=lambda s: s.name)
def test_service__missing_database_url__exits_with_one_line_naming_the_key(
    spec: ServiceSpec,
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(spec.env_prefix)}
    env.pop("DATABASE_URL", None)
    result = subprocess.run(
        [sys.executable, "-m", spec.module],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2, result.stderr[-2000:]
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr[-2000:]
    assert lines[0].startswith("configuration error: ")
    assert f"{spec.env_prefix}DATABASE_URL is required but not set" in lines[0]
