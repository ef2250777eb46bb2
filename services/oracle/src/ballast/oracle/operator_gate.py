"""Who may confirm a moved price (the app layer's half of domain/control.py): an operator identity
(ballast.common.operators.refusal: an address obeys only a fresh signature by its key, a name the
gateway token's name as before), and a command_id only once.

The ids applied are remembered in memory, the newest `REMEMBERED` of them: a signed command is
refused anyway once older than SIGNED_COMMAND_WINDOW, and the control subscription starts at new
messages, so a restart does not bring old ones back.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Collection
from datetime import datetime

from ballast.common.messages import ControlCommand
from ballast.common.operators import refusal

REMEMBERED = 10_000


class OperatorGate:
    def __init__(self, operators: Collection[str], clock: Callable[[], datetime]) -> None:
        self.operators = tuple(operators)
        self.clock = clock
        self._applied: OrderedDict[str, None] = OrderedDict()

    def refused(self, cmd: ControlCommand) -> str | None:
        """Why `cmd` is not to be obeyed ("refused: ..." or "ignored: already applied"), or None."""
        if cmd.command_id in self._applied:
            return "ignored: already applied"
        why = refusal(cmd, self.operators, self.clock())
        return None if why is None else f"refused: {why}"

    def applied(self, cmd: ControlCommand) -> None:
        self._applied[cmd.command_id] = None
        while len(self._applied) > REMEMBERED:
            self._applied.popitem(last=False)
