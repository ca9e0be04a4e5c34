"""Gradient descent by hand (step 3 of the lecture), driven with clicks in the Playback
panel on examples/logistic_regression.gsg: the update goes into the graph as one undo
step, the canvas shows each parameter's old and new value, the next forward pass runs
on the new values, five steps lower the loss, a learning rate too large is called out."""
import numpy as np
import pytest

pytest.importorskip("PySide6")

from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtGui import QKeySequence  # noqa: E402

pytestmark = pytest.mark.qt
L = Qt.MouseButton.LeftButton
W0 = [0.13775, 0.14227, -0.08659]


def open_logreg(win, qtbot, lr):
    win.actions["example_logistic_regression"].trigger()
    panel = win.math_panels["math_playback"]
    panel.lr.setValue(lr)
    key = next(k for k in win.doc.graph.params)
    return win.math, panel, key


def click(qtbot, w):
    qtbot.mouseClick(w, L)


def w_of(win, key):
    return np.array(win.doc.graph.params[key], dtype=float)


def node_text(win, name):
    nid = next(n.id for n in win.doc.graph.nodes.values() if n.name == name)
    return "\n".join(win.view.scene().node_item(nid).overlay_text())


def test_apply_update_after_backward_is_one_undo_step(main_window, qtbot):
    win = main_window
    s, panel, key = open_logreg(win, qtbot, 0.5)
    np.testing.assert_allclose(w_of(win, key), W0, atol=1e-5)
    d = panel.descent
    assert not d.apply_button.isEnabled()  # nothing to apply before a backward pass
    click(qtbot, panel.backward_button)
    qtbot.waitUntil(lambda: not s.playing(), timeout=10_000)
    assert d.apply_button.isEnabled()
    s.to_end()  # the update frame: the caption shows the formula with its numbers
    assert win.view.caption.text() == ("Update 1/1: w ← w − 0.5·dL/dw = [0.138, 0.142, "
                                       "-0.0866] − 0.5 × [-0.41, 1.24, -0.36] = "
                                       "[0.343, -0.476, 0.0936]")
    loss0 = float(s.trace.node_values[s.trace.output])
    assert abs(loss0 - 0.8161) < 1e-4
    count = win.stack.count()

    click(qtbot, d.apply_button)
    np.testing.assert_allclose(w_of(win, key), [0.3426, -0.4762, 0.0936], atol=1e-4)
    assert win.stack.count() == count + 1
    assert win.stack.text(count).startswith("Gradient descent step 1")
    # the canvas: w's old and new value, and the new forward pass (L at the new w)
    text = node_text(win, "w")
    assert "was [0.138, 0.142, -0.0866]\n= [0.343, -0.476, 0.0936]" in text
    s.seek(-1)  # before the new forward pass: the old and the new value
    assert "was [0.138, 0.142, -0.0866]\n→ [0.343, -0.476, 0.0936]" in node_text(win, "w")
    s.seek(s.phase_end("forward"))
    loss1 = float(s.trace.node_values[s.trace.output])
    assert loss1 < loss0 and s.index == s.phase_end("forward")
    assert f"= {loss1:.5g}"[:6] in node_text(win, "L")
    assert "Gradient descent step 1 applied" in win.view.caption.text()
    assert d.curve.getData()[1].tolist() == pytest.approx([loss0, loss1])
    # Run Forward again runs on the new parameters
    click(qtbot, panel.forward_button)
    qtbot.waitUntil(lambda: not s.playing(), timeout=10_000)
    assert float(s.trace.node_values[s.trace.output]) == pytest.approx(loss1)

    # Edit > Undo restores the old w (and the plot goes back to step 0)
    win.actions["undo"].trigger()
    np.testing.assert_allclose(w_of(win, key), W0, atol=1e-5)
    qtbot.waitUntil(lambda: len(d.curve.getData()[0]) == 1, timeout=5000)
    assert s.descent.step == 0
    click(qtbot, panel.forward_button)
    qtbot.waitUntil(lambda: not s.playing(), timeout=10_000)
    assert float(s.trace.node_values[s.trace.output]) == pytest.approx(loss0)


def test_five_gradient_steps_lower_the_loss(main_window, qtbot):
    win = main_window
    s, panel, key = open_logreg(win, qtbot, 0.5)
    d = panel.descent
    count = win.stack.count()
    for _ in range(5):
        click(qtbot, d.step_button)
    assert win.stack.count() == count + 5  # one undo step each
    steps, losses = d.curve.getData()
    assert steps.tolist() == [0, 1, 2, 3, 4, 5]
    assert all(b < a for a, b in zip(losses, losses[1:]))
    assert float(s.trace.node_values[s.trace.output]) == pytest.approx(losses[-1])
    assert "Hand step 5" in d.status.text() and "went up" not in d.status.text()
    # the first step is the one of the lecture
    for _ in range(5):
        win.actions["undo"].trigger()
    np.testing.assert_allclose(w_of(win, key), W0, atol=1e-5)
    win.actions["math_descent_step"].trigger()  # the Math menu's action (Ctrl+F8)
    assert win.actions["math_descent_step"].shortcut() == QKeySequence("Ctrl+F8")
    np.testing.assert_allclose(w_of(win, key), [0.3426, -0.4762, 0.0936], atol=1e-4)


def test_too_large_a_learning_rate_is_called_out(main_window, qtbot):
    win = main_window
    s, panel, key = open_logreg(win, qtbot, 20.0)
    d = panel.descent
    messages = []
    s.message.connect(messages.append)
    click(qtbot, d.step_button)
    losses = d.curve.getData()[1]
    assert len(losses) == 2 and losses[1] > losses[0]
    assert "The loss went up at step 1" in d.status.text()
    assert "learning rate 20 is too large" in d.status.text() and messages[-1] in d.status.text()
    for _ in range(3):  # it blows up: a step that would write NaN into w is refused
        click(qtbot, d.step_button)
    assert np.all(np.isfinite(w_of(win, key)))
    assert "far too large" in messages[-1]


def test_momentum_keeps_its_state_across_hand_steps(main_window, qtbot):
    win = main_window
    s, panel, key = open_logreg(win, qtbot, 0.1)
    d = panel.descent
    d.rule.setCurrentIndex(d.rule.findData("momentum"))
    d.rule.activated.emit(d.rule.currentIndex())
    ws = [w_of(win, key)]

    for _ in range(2):
        click(qtbot, d.step_button)
        ws.append(w_of(win, key))
    # by hand: b1 = g1, w1 = w0 - lr b1; b2 = 0.9 b1 + g2, w2 = w1 - lr b2
    g1 = (ws[0] - ws[1]) / 0.1
    b2 = (ws[1] - ws[2]) / 0.1
    assert not np.allclose(b2, g1)
    # b2 - 0.9 g1 is the plain gradient at w1, recomputed from a fresh trace
    win.actions["undo"].trigger()
    s.run()
    g_at_w1 = np.asarray(s.trace.param_grads["w"])
    np.testing.assert_allclose(b2, 0.9 * g1 + g_at_w1, rtol=1e-9, atol=1e-12)


def test_hand_steps_use_the_optimizer_chosen_for_training(main_window, qtbot):
    win = main_window
    s, panel, key = open_logreg(win, qtbot, 0.5)
    d = panel.descent
    assert d.rule.currentData() == "sgd"  # the lecture's rule until training is set up
    c = win.training.controls
    for name in ("momentum", "adam"):  # the Training panel's optimizer, as a person picks it
        c.optimizer_box.setCurrentIndex(c.optimizer_box.findData(name))
    w0 = w_of(win, key)
    click(qtbot, d.step_button)
    assert d.rule.currentData() == "adam" and panel.lr.value() == pytest.approx(0.01)
    # Adam's first step moves every weight by about lr, whatever its gradient
    np.testing.assert_allclose(np.abs(w_of(win, key) - w0), 0.01, rtol=1e-4)
    assert "m̂ = " in win.view.caption.text() and "adam lr=0.01" in win.stack.text(
        win.stack.count() - 1)
    assert "adam" in d.status.text()


def test_hand_steps_after_a_training_run_keep_the_canvas(main_window, qtbot):
    """A trained graph stepped by hand: the run ends (its weights changed under it), and
    the training overlay leaving the canvas does not take the hand step's marks with it."""
    from tests.ui.test_training_ui import open_example, wait_state

    win = main_window
    tp = open_example(win, qtbot, "spiral", size=100, epochs=2)
    win.math_panels["math_inputs"].randomize_all()  # values for the hand steps' forward pass
    qtbot.waitUntil(lambda: tp.session.trainer is not None, timeout=10_000)
    click(qtbot, tp.controls.buttons["play"])
    wait_state(qtbot, tp, "finished")
    qtbot.waitUntil(lambda: tp.canvas.overlay is not None, timeout=10_000)
    s, d = win.math, win.math_panels["math_playback"].descent
    for k in (1, 2):
        click(qtbot, d.step_button)
        qtbot.wait(100)  # the training panels catch up (the run closes)
        assert s.showing() and f"Gradient descent step {k} applied" in win.view.caption.text()
    assert s.descent.step == 2 and (tp.session.trainer is None or tp.session.trainer.step == 0)
    assert "was " in node_text(win, "layer1")


def test_a_graph_without_parameters_says_so(main_window, qtbot):
    win = main_window
    win.actions["example_lecture_function"].trigger()
    panel = win.math_panels["math_playback"]
    click(qtbot, panel.backward_button)
    qtbot.waitUntil(lambda: not win.math.playing(), timeout=10_000)
    d = panel.descent
    assert not d.step_button.isEnabled() and not d.apply_button.isEnabled()
    assert "No parameter in this graph" in d.step_button.toolTip()
    assert d.status.isHidden()  # the backward pass's caption keeps the room
    count = win.stack.count()
    win.actions["math_descent_step"].trigger()  # the menu item: a message, no edit
    assert win.stack.count() == count
