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


def test_gateway_dockerfile__builds_the_console__and_serves_its_dist() -> None:
    """A Node stage builds web/ from its lockfile; the runtime copies dist/ where the gateway's
    static_dir setting (BALLAST_GATEWAY_STATIC_DIR) points, which it mounts at /."""
    from ballast.gateway.settings import GatewaySettings  # noqa: PLC0415

    text = (ROOT / "services" / "gateway" / "Dockerfile").read_text()
    lines = text.splitlines()
    web = text.index(" AS web\n")
    lock = text.index("COPY web/package.json web/package-lock.json ./")
    assert web < lock < text.index("npm ci") < text.index("COPY web ./") < text.index(
        "RUN npm run build") < text.index(" AS runtime")
    assert "COPY --from=web /web/dist /app/web" in lines
    assert text.index("COPY --from=web") > text.index(" AS runtime")
    env = next(line for line in lines if "BALLAST_GATEWAY_HTTP_PORT" in line).split()
    assert "BALLAST_GATEWAY_STATIC_DIR=/app/web" in env
    assert "static_dir" in GatewaySettings.model_fields
    assert GatewaySettings.model_config.get("env_prefix") == "BALLAST_GATEWAY_"
    for other in SERVICES:
        if other.name != "gateway":
            assert " AS web" not in (ROOT / "services" / other.name / "Dockerfile").read_text()


def test_dockerignore__venvs_and_caches__left_out() -> None:
    ignored = (ROOT / ".dockerignore").read_text().splitlines()
    for entry in (".git", ".venv", "**/__pycache__", "**/.ruff_cache", "services/*/tests",
                  "**/node_modules", "web/dist"):
        assert entry in ignored
