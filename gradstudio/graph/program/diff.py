"""What changed between two recordings of the same program: frames that are new (a
branch that flipped, iterations a loop did not run before) and one sentence per
decision that flipped or loop whose count changed."""
from __future__ import annotations

from collections import Counter


def _frame_keys(rec: dict) -> dict:
    """{frame id: (labels from the outermost frame down to it, occurrence)}."""
    frames = {f["id"]: f for f in rec.get("frames", [])}
    seen: Counter = Counter()
    keys = {}
    for f in rec.get("frames", []):
        chain, cur = [], f
        while cur is not None:
            chain.append((cur["line"], cur["label"]))
            cur = frames.get(cur["parent"])
        key = tuple(reversed(chain))
        seen[key] += 1
        keys[f["id"]] = (key, seen[key])
    return keys


def _decisions(rec: dict) -> dict:
    seen: Counter = Counter()
    out = {}
    for b in rec.get("branches", []):
        k = (b["line"], b["kind"], b["text"])
        seen[k] += 1
        out[k + (seen[k],)] = b["value"]
    return out


def _loop_counts(rec: dict) -> Counter:
    return Counter(f["line"] for f in rec.get("frames", []) if f["kind"] == "loop")


def changes(old: dict | None, new: dict) -> tuple:
    """(ids of new's frames that old lacks, sentences describing what changed)."""
    if not old or old.get("source") != new.get("source"):
        return set(), []
    before = {v for v in _frame_keys(old).values()}
    fresh = {fid for fid, key in _frame_keys(new).items() if key not in before}
    notes = []
    was, now = _decisions(old), _decisions(new)
    for key, value in now.items():
        if key in was and was[key] != value and key[1] != "while":
            notes.append(f"line {key[0]}: {key[2]} is now {value} (was {was[key]})")
    a, b = _loop_counts(old), _loop_counts(new)
    for line in sorted(set(a) | set(b)):
        if a[line] != b[line]:
            notes.append(f"line {line}: the loop ran {b[line]} times (was {a[line]})")
    return fresh, notes
