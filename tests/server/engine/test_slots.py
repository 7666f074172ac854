"""Cross-process CPU slots: at most N holders at once; a slot held by another process is waited for."""

from __future__ import annotations

import multiprocessing
import time

from dgtui.server.engine.slots import CpuSlots, NoSlots


def hold(directory: str, held: multiprocessing.Event, release: multiprocessing.Event) -> None:  # type: ignore[type-arg]
    with CpuSlots(directory, 1).held():
        held.set()
        release.wait(10)


def test_a_slot_held_in_another_process_is_waited_for(tmp_path):
    context = multiprocessing.get_context("spawn")
    held, release = context.Event(), context.Event()
    other = context.Process(target=hold, args=(str(tmp_path), held, release))
    other.start()
    try:
        assert held.wait(30)
        slots = CpuSlots(tmp_path, 1)
        waited = []
        release_at = time.monotonic() + 0.3

        def let_go() -> None:
            while time.monotonic() < release_at:
                time.sleep(0.01)
            release.set()

        import threading

        threading.Thread(target=let_go).start()
        with slots.held():
            waited.append(time.monotonic() >= release_at)  # only once the other process let go
        assert waited == [True]
    finally:
        release.set()
        other.join(10)


def test_two_slots_let_two_hold_at_once_and_no_slots_never_wait(tmp_path):
    slots = CpuSlots(tmp_path, 2)
    with slots.held(), CpuSlots(tmp_path, 2).held():  # both free slots taken without waiting
        assert len(list(tmp_path.glob("slot-*.lock"))) == 2
    with NoSlots().held(), NoSlots().held():
        pass
