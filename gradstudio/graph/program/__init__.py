"""Programs: a small, safe subset of Python whose run is recorded as a graph.

``record(source, values)`` runs a program (parsed with ``ast``, interpreted over the
ops; never Python's eval or exec) and returns a Recording whose graph holds every op
the run executed, with loops unrolled into labelled frames, calls grouped and branch
decisions kept (``graph.meta["program"]``). ``check(source)`` only parses and checks.
The language is described in docs/programs.md.
"""
from .code import graph_to_code
from .diff import changes
from .errors import Limits, ProgramError
from .record import (META, Recording, check, input_values, names_of, program_of, read_program,
                     record)

__all__ = ["META", "Limits", "ProgramError", "Recording", "changes", "check", "graph_to_code",
           "input_values", "names_of", "program_of", "read_program", "record"]
