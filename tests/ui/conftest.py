"""Fixtures for the Qt tests: a main window with its own settings file, recovery folder
and scripted dialogs, closed at the end without prompts."""
import pytest
from PySide6.QtCore import QSettings


class ScriptedDialogs:
    """Stands in for gradstudio.ui.dialogs.Dialogs: records what was asked and answers
    from ``answers`` (what a person would have clicked or typed)."""

    def __init__(self):
        self.answers = {"ask_save": "discard", "ask_restore": True}
        self.errors: list[tuple[str, str]] = []
        self.infos: list[tuple[str, str]] = []
        self.asked: list[tuple] = []

    def error(self, parent, title, text):
        self.errors.append((title, text))

    def info(self, parent, title, text):
        self.infos.append((title, text))

    def _answer(self, what, *args):
        self.asked.append((what, *args))
        return self.answers.get(what)

    def ask_save(self, parent, name):
        return self._answer("ask_save", name)

    def ask_restore(self, parent, entries):
        return self._answer("ask_restore", len(entries))

    def open_path(self, parent, start):
        return self._answer("open_path")

    def save_path(self, parent, start):
        return self._answer("save_path")

    def export_path(self, parent, start, fmt):
        return self._answer("export_path", fmt)


@pytest.fixture
def settings(tmp_path):
    return QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)


@pytest.fixture
def dialogs():
    return ScriptedDialogs()


@pytest.fixture
def make_window(qtbot, tmp_path, settings, dialogs):
    """Factory for main windows sharing this test's settings, recovery folder and dialogs."""
    from PySide6.QtWidgets import QApplication

    from gradstudio.ui.window import MainWindow

    made = []

    def make(**kw):
        kw.setdefault("settings", settings)
        kw.setdefault("recovery_dir", tmp_path / "recovery")
        kw.setdefault("dialogs", dialogs)
        win = MainWindow(**kw)
        made.append(win)
        win.show()
        qtbot.waitExposed(win)
        return win

    yield make
    for win in made:
        try:
            win.dialogs = ScriptedDialogs()  # "discard": never blocks on a prompt
            win.close()
            win.deleteLater()
        except RuntimeError:  # already deleted
            pass
    QApplication.setPalette(QApplication.style().standardPalette())


@pytest.fixture
def main_window(make_window):
    return make_window()
