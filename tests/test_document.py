"""The document layer (no Qt): open/save, recent files, crash recovery."""
import os

import pytest

from gradstudio import Graph, GraphFileError, dumps
from gradstudio.app import document as doc
from gradstudio.app.document import Document, Recovery, add_recent, clean_recent, find_recovery


def _graph():
    g = Graph()
    x = g.add_node("input", "x", {"value": 2.0})
    s = g.add_node("sin", "y", pos=(200, 0))
    g.connect(x.id, s.id, "x")
    return g


def test_new_document_is_untitled_and_save_needs_a_path(tmp_path):
    d = Document()
    assert d.name == "untitled" and d.path is None and not d.graph.nodes
    with pytest.raises(GraphFileError, match="Save As"):
        d.save()
    d.save(tmp_path / "a.gsg")
    assert d.path == str(tmp_path / "a.gsg") and d.name == "a.gsg"


def test_save_and_open_round_trip(tmp_path):
    d = Document(_graph())
    d.save(tmp_path / "g.gsg")
    again = Document.open(tmp_path / "g.gsg")
    assert dumps(again.graph) == dumps(d.graph)
    assert again.path == str(tmp_path / "g.gsg")


def test_open_copy_has_no_path_and_names_the_example(tmp_path):
    Document(_graph()).save(tmp_path / "lecture.gsg")
    d = Document.open_copy(tmp_path / "lecture.gsg")
    assert d.path is None and d.name == "lecture (example)"
    d.save(tmp_path / "mine.gsg")
    assert d.name == "mine.gsg"


def test_failed_save_keeps_the_old_path(tmp_path):
    d = Document(_graph())
    d.save(tmp_path / "ok.gsg")
    with pytest.raises(GraphFileError):
        d.save(tmp_path / "missing-folder" / "x.gsg")
    assert d.path == str(tmp_path / "ok.gsg")


def test_open_bad_file_raises_graph_file_error(tmp_path):
    bad = tmp_path / "bad.gsg"
    bad.write_text("{not json")
    with pytest.raises(GraphFileError, match="bad.gsg"):
        Document.open(bad)


def test_recent_files_move_to_front_dedupe_and_cap(tmp_path):
    paths = [str(tmp_path / f"f{i}.gsg") for i in range(12)]
    recent = []
    for p in paths:
        recent = add_recent(recent, p)
    assert len(recent) == doc.MAX_RECENT and recent[0] == paths[-1] and paths[0] not in recent
    recent = add_recent(recent, paths[5])
    assert recent[0] == paths[5] and recent.count(paths[5]) == 1 and len(recent) == doc.MAX_RECENT
    assert doc.remove_recent(recent, paths[5])[0] == paths[-1]
    assert add_recent([], "rel.gsg")[0] == os.path.abspath("rel.gsg")


def test_clean_recent_accepts_what_settings_give_back():
    assert clean_recent(None) == []
    assert clean_recent("/a.gsg") == ["/a.gsg"]
    assert clean_recent(["/a.gsg", 3, "", "/a.gsg", "/b.gsg"]) == ["/a.gsg", "/b.gsg"]


def test_recovery_round_trip_and_clear(tmp_path):
    rec = Recovery(tmp_path / "recovery")
    g = _graph()
    rec.write(g, source="/some/file.gsg", name="file.gsg")
    # the run that wrote it is this one, so it is not offered ...
    assert find_recovery(tmp_path / "recovery") == []
    # ... until that run is gone
    entries = find_recovery(tmp_path / "recovery", is_running=lambda info: False)
    assert len(entries) == 1
    e = entries[0]
    assert e.source == "/some/file.gsg" and e.name == "file.gsg"
    assert dumps(e.load()) == dumps(g)
    rec.clear()
    assert find_recovery(tmp_path / "recovery", is_running=lambda info: False) == []
    assert os.listdir(tmp_path / "recovery") == []


def test_recovery_entries_newest_first_and_removable(tmp_path):
    a, b = Recovery(tmp_path), Recovery(tmp_path)
    assert a.path != b.path
    a.write(_graph(), name="old")
    b.write(Graph(), name="new")
    entries = find_recovery(tmp_path, is_running=lambda info: False)
    assert [e.name for e in entries] == ["new", "old"]
    entries[0].remove()
    assert [e.name for e in find_recovery(tmp_path, is_running=lambda info: False)] == ["old"]


def test_recovery_of_a_dead_process_is_found(tmp_path):
    import json
    import subprocess
    import sys

    rec = Recovery(tmp_path)
    rec.write(_graph())
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    info_path = rec.path[:-4] + ".json"
    info = json.load(open(info_path))
    info["pid"] = int(dead.stdout)
    json.dump(info, open(info_path, "w"))
    assert len(find_recovery(tmp_path)) == 1


def test_recovery_without_info_file_is_still_offered(tmp_path):
    rec = Recovery(tmp_path)
    rec.write(_graph())
    os.remove(rec.path[:-4] + ".json")
    [e] = find_recovery(tmp_path)
    assert e.source is None and e.name == "untitled"


def test_recovery_folder_missing_gives_nothing(tmp_path):
    assert find_recovery(tmp_path / "nope") == []
