"""The command line's programs: ``--program FILE`` for eval and check, and ``record``.

A program file (a small subset of Python, see docs/programs.md) is run with the
``--set`` values and recorded as a graph; eval and check then work on that graph
exactly as on a .gsg file, and ``record`` saves it (the program kept in its meta).
"""
from __future__ import annotations

import os


def record_file(path, feeds: dict):
    """The Recording of the program in ``path`` run with ``feeds`` (name -> array)."""
    from .graph.program import ProgramError, read_program, record

    source = read_program(path)
    try:
        return record(source, feeds)
    except ProgramError as exc:  # the same error, naming the file
        raise ProgramError(exc.message, exc.line, exc.col, source, exc.kind,
                           file=os.fspath(path)) from None


def add_parser(sub) -> None:
    rec = sub.add_parser("record", help="run a program and save the graph it records")
    rec.add_argument("--program", metavar="FILE", required=True, help="a program file (.py)")
    rec.add_argument("--set", metavar="NAME=JSON", action="append", default=[],
                     help="value of an input: a JSON number or nested list (repeatable)")
    rec.add_argument("-o", "--out", metavar="G.gsg", required=True, help="the graph file to write")
    from . import argtypes

    argtypes.add_limit_option(rec)


def run_record(args, parse_sets) -> int:
    from .graph.fileformat import save

    recording = record_file(args.program, parse_sets(args.set))
    out = args.out if os.path.splitext(args.out)[1] else args.out + ".gsg"
    save(recording.graph, out)
    g = recording.graph
    print(f"recorded {len(g.nodes)} nodes ({len(recording.frames)} frames, "
          f"{len(recording.branches)} decisions) to {out}")
    return 0
