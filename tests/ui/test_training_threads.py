"""The GUI thread owns the graph: a run trains a frozen copy made on the GUI thread, so
every event of the window's graph comes from the GUI thread, whatever the person does
while a run goes on (edit, pause, replay, stop), and an edit made mid-run changes none
of the run's numbers."""
import threading

import numpy as np
import pytest
from PySide6.QtCore import Qt

from gradstudio.graph.clone import clone
from gradstudio.training import Trainer
from gradstudio.ui.training.settings import DTYPE

from test_training_ui import WAIT, click, open_example, wait_state  # noqa: E402

pytestmark = pytest.mark.qt


class ThreadCheck:
    """A graph subscriber that notes the thread of every event it hears."""

    def __init__(self, graph):
        self.main = threading.get_ident()
        self.kinds: list = []
        self.strangers: list = []
        graph.subscribe(self)

    def __call__(self, ev) -> None:
        self.kinds.append(ev.kind)
        if threading.get_ident() != self.main:
            self.strangers.append((ev.kind, threading.current_thread().name))


def test_graph_events_come_from_the_gui_thread_while_a_run_is_edited_paused_replayed_stopped(
        main_window, qtbot):
    win = main_window
    tp = open_example(win, qtbot, "spiral", size=200, epochs=5000)  # a snapshot per 75 steps
    s, b = tp.session, tp.controls.buttons
    check = ThreadCheck(win.doc.graph)
    click(qtbot, b["play"])
    qtbot.waitUntil(lambda: s.live.step > 160, timeout=WAIT)
    click(qtbot, b["pause"])
    wait_state(qtbot, tp, "paused")
    win.docks["training_replay"].raise_()  # replay a snapshot, then back to live
    qtbot.waitUntil(lambda: tp.replay.slider.maximum() > 0, timeout=WAIT)
    tp.replay.slider.setValue(0)
    assert s.replay is not None
    click(qtbot, tp.replay.live_button)
    click(qtbot, b["play"])
    qtbot.waitUntil(lambda: s.running and s.live.step > 40, timeout=WAIT)
    win.editor.add_node("parameter", pos=(400.0, 400.0), attrs={"shape": (3,)})  # mid-run
    wait_state(qtbot, tp, "idle")
    assert "edited during the run" in tp.controls.message_label.text()
    qtbot.waitUntil(lambda: s.trainer is not None, timeout=WAIT)  # made ahead of Play
    click(qtbot, b["play"])
    qtbot.waitUntil(lambda: s.running and s.live.step > 10, timeout=WAIT)
    win.stack.undo()  # undo during a run: the graph's values win
    wait_state(qtbot, tp, "idle")
    qtbot.waitUntil(lambda: s.trainer is not None, timeout=WAIT)
    click(qtbot, b["play"])
    qtbot.waitUntil(lambda: s.running and s.live.step > 10, timeout=WAIT)
    click(qtbot, b["stop"])
    wait_state(qtbot, tp, "idle")
    assert {"param_changed", "node_added", "meta_changed"} <= set(check.kinds)
    assert check.strangers == []


def test_an_edit_mid_run_leaves_the_run_s_numbers_unchanged(main_window, qtbot):
    win = main_window
    tp = open_example(win, qtbot, "spiral", size=200, epochs=100_000)
    s = tp.session
    t = s.trainer
    before = clone(win.doc.graph)  # the graph as the run starts
    click(qtbot, tp.controls.buttons["play"])
    qtbot.waitUntil(lambda: s.live.step > 30, timeout=WAIT)
    layer = next(n for n in win.doc.graph.nodes.values() if n.op == "linear")
    win.editor.set_attr(layer.id, "seed", layer.attrs["seed"] + 1)  # an edit mid-run
    wait_state(qtbot, tp, "idle")
    n = t.step
    assert n > 30 and len(t.curves.loss) == n
    # the same run, headless, on the graph as it was: the same losses, step by step
    ref = Trainer(before, s.dataset(), t.binding, t.optimizer.config, batch_size=t.batch_size,
                  epochs=t.epochs, seed=t.seed, dtype=DTYPE)
    for _ in ref.steps(max_steps=n):
        pass
    np.testing.assert_array_equal(np.array(t.curves.loss), np.array(ref.curves.loss))
    assert [r.number for r in s.runs] == [1] and s.runs[0].curves.loss == t.curves.loss
    # what was trained is in the graph wherever its node is unchanged
    g = win.doc.graph
    for name, w in ref.parameters().items():
        key = ref.engine.param_key(name, ref.binding.loss)
        owner = key if key in g.nodes else key.rsplit(".", 1)[0]
        if g.nodes[owner].attrs == before.nodes[owner].attrs:
            np.testing.assert_array_equal(g.params[key], w)
        else:  # the edited layer keeps what it had
            assert owner == layer.id
            assert key not in g.params or not np.array_equal(g.params[key], w)
