"""The start replaces PySide6's per-import source check with one that reads the file's bytes:
it must answer exactly as PySide's own, so that a module using PySide's `__feature__`
switches is still told from one that does not."""

from __future__ import annotations

import sys

import pytest
from PySide6 import QtCore  # noqa: F401  (PySide's import hook and its check are in place)

from warroom.ui import pyside_source_check


@pytest.fixture
def feature():
    module = next(filter(None, map(sys.modules.get, pyside_source_check.FEATURE_MODULES)))
    before = module._mod_uses_pyside
    yield module
    module._mod_uses_pyside = before


def _original(feature):
    check = feature._mod_uses_pyside
    return getattr(check, "original", check)


def test_every_loaded_module_gets_the_answer_pyside_gives(feature):
    assert pyside_source_check.install()
    fast, original = feature._mod_uses_pyside, _original(feature)
    assert fast is not original
    # Those with a file: anything else is handed to PySide's own check by both.
    modules = [
        m for m in list(sys.modules.values()) if isinstance(getattr(m, "__file__", None), str)
    ]
    answers = {m.__name__: (fast(m), original(m)) for m in modules}
    assert all(mine == theirs for mine, theirs in answers.values())
    # Both answers occur: the comparison covers modules that use PySide and ones that do not.
    assert answers["warroom.ui.pyside_source_check"] == (True, True)
    assert answers["json"] == (False, False)


def test_a_module_imported_afterwards_is_filed_as_pyside_would(feature, tmp_path, monkeypatch):
    pyside_source_check.install()
    (tmp_path / "uses_qt_here.py").write_text("from PySide6 import QtCore\n", encoding="utf-8")
    (tmp_path / "plain_here.py").write_text("VALUE = 'é'\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    for name in ("uses_qt_here", "plain_here"):
        monkeypatch.delitem(sys.modules, name, raising=False)
        feature.pyside_feature_dict.pop(name, None)
        __import__(name)  # an import statement: through PySide's hook, as the app's are
    assert feature.pyside_feature_dict["uses_qt_here"] == 0  # PySide's "may switch features"
    assert feature.pyside_feature_dict["plain_here"] == -1  # "ignore this module"


def test_installing_twice_keeps_one_layer(feature):
    pyside_source_check.install()
    once = feature._mod_uses_pyside
    assert pyside_source_check.install()
    assert feature._mod_uses_pyside is once
