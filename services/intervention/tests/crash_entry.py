"""`python -m ballast.intervention` with the crash tests' checkpoint armed (tests only).

BALLAST_INTERVENTION_CRASH_AT names the point to SIGKILL at (README "Crash points"); it is read
here, not by the service's settings, so production cannot be started with it.
"""

from __future__ import annotations

import asyncio
import os

from ballast.common.settings import load_settings
from ballast.intervention.main import build_app
from ballast.intervention.settings import InterventionSettings
from ballast.testing.crashing import crash_hook

CRASH_AT = "BALLAST_INTERVENTION_CRASH_AT"


def main() -> None:
    point = os.environ.pop(CRASH_AT, None)
    app = build_app(load_settings(InterventionSettings), crash=crash_hook(point))
    asyncio.run(app.run())


if __name__ == "__main__":
    main()
