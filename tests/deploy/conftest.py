"""tests/deploy: the deployment artefacts (deploy/) checked against the code.

deploy/tools holds plain scripts (not a workspace package): put it on sys.path for the tests.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
TOOLS = DEPLOY / "tools"

if str(TOOLS) not in sys.path:
    sys.path.insert(0, str(TOOLS))
