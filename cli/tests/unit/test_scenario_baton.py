"""One scenario drives the devnet at a time: the baton files, without a chain."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest

from ballast.cli.scenarios.baton import Baton, BatonBusy


def test_hold__no_background_runner__taken_at_once_and_released(tmp_path: Path) -> None:
    baton = Baton(tmp_path)
    with baton.hold(timeout=0.5):
        assert baton.foreground_pid() == os.getpid()
    assert baton.foreground_pid() is None
    assert list(tmp_path.iterdir()) == []


def test_hold__another_live_process_holds_it__busy(tmp_path: Path) -> None:
    baton = Baton(tmp_path)
    baton.foreground.write_text(str(os.getppid()))
    with pytest.raises(BatonBusy, match=str(os.getppid())), baton.hold(timeout=0.5):
        pass


def test_hold__holder_died__taken(tmp_path: Path) -> None:
    baton = Baton(tmp_path)
    baton.foreground.write_text("999999999")
    with baton.hold(timeout=0.5):
        assert baton.foreground_pid() == os.getpid()


def test_hold__live_runner__waits_for_its_acknowledgement(tmp_path: Path) -> None:
    baton = Baton(tmp_path)
    acked_at: list[float] = []

    def runner() -> None:
        while baton.foreground_pid() is None:
            time.sleep(0.01)
        time.sleep(0.2)  # a step in flight
        acked_at.append(time.monotonic())
        baton.acknowledge(os.getpid())

    with baton.runner():
        thread = threading.Thread(target=runner)
        thread.start()
        with baton.hold(timeout=5):
            entered = time.monotonic()
        thread.join()
    assert acked_at and entered >= acked_at[0]
    assert not baton.background.exists()


def test_hold__runner_never_answers__timeout(tmp_path: Path) -> None:
    baton = Baton(tmp_path)
    with baton.runner(), pytest.raises(TimeoutError), baton.hold(timeout=0.2):
        pass
    assert baton.foreground_pid() is None
