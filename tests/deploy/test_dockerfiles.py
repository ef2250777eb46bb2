"""The per-service Dockerfiles (services/<name>/Dockerfile) follow the one pattern.

They cannot be built here (no Docker engine on this machine); what can be checked offline is
checked: each equals a fresh generation from the registry and the workspace members, uses the
cached dependency layer before copying any source, installs non-editable, runs as non-root, and
the build context leaves caches and venvs out.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ballast.cli.registry import SERVICES, ServiceSpec
from ballast.testing.generated import assert_generated

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]


def test_dockerfiles__generated__match_committed() -> None:
    import dockerfiles  # noqa: PLC0415 - deploy/tools is on sys.path (conftest)

    for path, text in dockerfiles.rendered().items():
        assert_generated(path, text, "run .venv/bin/python deploy/tools/dockerfiles.py")


@pytest.mark.parametrize("spec", SERVICES, ids=lambda s: s.name)
def test_dockerfile__layers__dependencies_cached_before_sources(spec: ServiceSpec) -> None:
    name = spec.name
    lines = (ROOT / "services" / name / "Dockerfile").read_text().splitlines()
    text = "\n".join(lines)
    deps = text.index("--no-install-workspace")
    assert deps < text.index(f"COPY services/{name} services/{name}")
    assert deps < text.index("COPY libs/common libs/common")
    assert "--frozen" in text and "--no-editable" in text
    assert "USER 10001:10001" in lines
    assert lines[-1] == f'ENTRYPOINT ["python", "-m", "{spec.module}"]'


def test_dockerignore__venvs_and_caches__left_out() -> None:
    ignored = (ROOT / ".dockerignore").read_text().splitlines()
    for entry in (".git", ".venv", "**/__pycache__", "**/.ruff_cache", "services/*/tests"):
        assert entry in ignored
