"""Cycles are collected on the GUI thread, never by a worker thread that happens to allocate:
a Qt object destroyed off its thread crashes the event loop later, far from the cause."""

from __future__ import annotations

import gc
import threading

from PySide6.QtCore import QObject

from warroom.system.collector import collector_paused
from warroom.ui.gui_thread_gc import GuiThreadCollector


def _qt_object_left_in_a_cycle(destroyed_on: list[str]) -> None:
    held = QObject()  # owned by Python: destroyed when its wrapper is collected
    held.destroyed.connect(lambda: destroyed_on.append(threading.current_thread().name))
    cycle: dict[str, object] = {"held": held}
    cycle["cycle"] = cycle


def _allocate_cycles(count: int) -> None:
    for _ in range(count):
        cycle: list[object] = []
        cycle.append(cycle)


def test_a_busy_worker_thread_never_destroys_a_qt_object_the_gui_collects_it(qtbot):
    collector = GuiThreadCollector(every_ms=20)
    destroyed_on: list[str] = []
    _qt_object_left_in_a_cycle(destroyed_on)
    # Far past every threshold: Python itself would collect many times on this thread.
    worker = threading.Thread(target=_allocate_cycles, args=(200_000,), name="evidence-copy")
    worker.start()
    worker.join()
    assert destroyed_on == []
    qtbot.waitUntil(lambda: destroyed_on != [], timeout=60_000)
    assert destroyed_on == [threading.main_thread().name]
    collector.deleteLater()


def test_collect_due_collects_once_the_youngest_generation_is_full(collected_on_the_gui_thread):
    collector = collected_on_the_gui_thread
    gc.collect()
    assert collector.collect_due() == 0  # nothing allocated since: nothing to do
    destroyed_on: list[str] = []
    _qt_object_left_in_a_cycle(destroyed_on)
    _allocate_cycles(gc.get_threshold()[0] * 2)
    assert collector.collect_due() > 0
    assert destroyed_on == [threading.main_thread().name]
    assert not gc.isenabled()


def test_a_window_going_live_freezes_its_heap_and_leaves_collection_to_the_gui(
    collected_on_the_gui_thread,
):
    frozen = gc.get_freeze_count()
    try:
        with collector_paused(freeze=True):
            built = [[] for _ in range(1_000)]
        assert gc.get_freeze_count() >= frozen + len(built)
        assert not gc.isenabled()  # still the GUI thread's to collect
    finally:
        gc.unfreeze()


def test_stopping_collects_what_is_left_and_hands_collection_back(collected_on_the_gui_thread):
    assert not gc.isenabled()
    destroyed_on: list[str] = []
    _qt_object_left_in_a_cycle(destroyed_on)
    collected_on_the_gui_thread.stop()
    assert destroyed_on == [threading.main_thread().name]
    assert gc.isenabled()  # as it was before the collector came


def test_collect_due_takes_an_older_generation_once_its_count_is_full(
    collected_on_the_gui_thread,
):
    """As CPython counts: each young collection adds one to the next generation's count;
    once that passes its threshold, the next collection takes that generation too."""
    collector = collected_on_the_gui_thread
    gc.collect()
    for _ in range(gc.get_threshold()[1]):
        gc.collect(0)
    _allocate_cycles(gc.get_threshold()[0] * 2)
    collector.collect_due()
    assert gc.get_count()[1] == 0  # generation 1 was collected: its count starts again
    assert gc.get_count()[2] == 1
