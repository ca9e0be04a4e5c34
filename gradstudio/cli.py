"""Command line: `gradstudio [FILE]` opens the app; `gradstudio eval|check ...` runs headless.

Every error a user can cause is printed as one line on stderr with a non-zero exit
code: 1 for a failed check or a bad graph/input, 2 for bad usage.
"""
from __future__ import annotations

import argparse
import json
import sys

import numpy as np

from . import __version__
from . import argtypes

COMMANDS = ("eval", "check", "train", "export", "import", "data", "record")


class UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    """Usage errors in one line (the usage itself is one --help away)."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


def _graph_args(p: argparse.ArgumentParser) -> None:
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("file", nargs="?", help="a .gsg graph file")
    src.add_argument("--expr", metavar="FORMULA", help='a formula, e.g. "log(x1) + x1*x2 - sin(x2)"')
    src.add_argument("--program", metavar="FILE", help="a program file (.py; see docs/programs.md)")
    p.add_argument("--set", metavar="NAME=JSON", action="append", default=[],
                   help="value of an input: a JSON number or nested list (repeatable)")
    p.add_argument("--output", metavar="NODE", help="name of the node to evaluate/differentiate")
    p.add_argument("--backend", default="numpy", choices=("auto", "numpy", "cupy"),
                   help="array backend (default numpy; auto uses a GPU when one is usable)")
    argtypes.add_limit_option(p)


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog="gradstudio", description="Build computation graphs and "
                                "watch them differentiate. Without a command, opens the app.")
    p.add_argument("--version", action="version", version=f"gradstudio {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    ev = sub.add_parser("eval", help="evaluate a graph or formula (and its gradient)")
    _graph_args(ev)
    ev.add_argument("--grad", action="store_true", help="also print the gradient of the (scalar) "
                    "output w.r.t. every input and parameter")
    ev.add_argument("--json", action="store_true", help='print one JSON object {"value", "grad"}')
    ev.add_argument("--dtype", default="float64", choices=("float64", "float32"))
    ck = sub.add_parser("check", help="compare gradients with central differences (float64)")
    _graph_args(ck)
    ck.add_argument("--eps", type=argtypes.positive_float, default=1e-6,
                    help="finite-difference step (default 1e-6)")
    from .training import cli_train

    cli_train.add_parser(sub)
    from .interop import cli as interop_cli

    interop_cli.add_parsers(sub)
    from . import cli_program

    cli_program.add_parser(sub)
    return p


def _app_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="gradstudio", usage="gradstudio [FILE] | gradstudio "
                "{eval,check,train,export,import,data,record} ...", description="Opens the "
                "gradstudio app on FILE (default: an example). Commands: eval, check, train, "
                "export, import, data, record; see "
                                "'gradstudio eval --help'.")
    p.add_argument("--version", action="version", version=f"gradstudio {__version__}")
    p.add_argument("file", nargs="?", help="a .gsg graph file (or a .py program) to open")
    return p


MAX_DEPTH = 32  # nested lists in a --set value (a tensor of more dimensions is not sensible)


def _bad_constant(name: str):
    raise ValueError(f"{name} is not a number JSON allows")


def _finite(text: str) -> float:
    value = float(text)  # (any number of digits: float() takes them in linear time)
    if not np.isfinite(value):
        shown = text if len(text) <= 24 else f"{text[:12]}...({len(text)} characters)"
        raise ValueError(f"{shown} is too large for a floating-point number")
    return value


def parse_value(text: str) -> np.ndarray:
    """A --set value: a JSON number or nested list of numbers, as float64. Anything else
    (null, true, NaN, a string, a number too large, a list nested too deeply or ragged)
    is a ValueError with one line saying why."""
    depth = 0
    for ch in text:  # refuse deep nesting before the JSON parser recurses into it
        depth += ch == "["
        if depth > MAX_DEPTH:
            raise ValueError(f"the list is nested more than {MAX_DEPTH} deep")
        depth -= ch == "]" and depth > 0
    try:
        value = json.loads(text, parse_constant=_bad_constant, parse_float=_finite,
                           parse_int=_finite)
    except json.JSONDecodeError as exc:
        raise ValueError(f"{text[:40]!r} is not a JSON number or list ({exc.msg})") from None
    stack = [value]
    while stack:
        v = stack.pop()
        if isinstance(v, list):
            stack.extend(v)
        elif isinstance(v, bool) or not isinstance(v, float):
            what = {type(None): "null", bool: "true/false", str: "a string", dict: "an object"}
            raise ValueError(f"{what.get(type(v), type(v).__name__)} is not a number; give a "
                             "number or a nested list of numbers")
    try:
        return np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise ValueError("the lists are ragged: every row must have the same length") from None


def _parse_sets(items: list[str]) -> dict:
    feeds = {}
    for item in items:
        name, eq, text = item.partition("=")
        if not eq or not name:
            raise UsageError(f"--set {item!r}: expected NAME=VALUE, e.g. --set x1=2")
        try:
            feeds[name.strip()] = parse_value(text)
        except ValueError as exc:
            raise UsageError(f"--set {name}: {exc}") from None
    return feeds


def _load(args):
    """(graph, feeds) from the FILE or --expr argument and --set values."""
    from .graph.model import GraphError

    feeds = _parse_sets(args.set)
    if getattr(args, "program", None) is not None:  # run it; its graph keeps the values
        from .cli_program import record_file

        graph, feeds = record_file(args.program, feeds).graph, {}
    elif args.expr is not None:
        from .graph.formula import from_formula

        graph = from_formula(args.expr)
        for node in graph.nodes.values():  # a formula's inputs take the shape of their values
            if node.op == "input":
                if node.name not in feeds:
                    raise UsageError(f"no value for {node.name}: give it with --set {node.name}=VALUE")
                graph.set_attr(node.id, "shape", tuple(feeds[node.name].shape))
    else:
        from .graph.fileformat import load

        graph = load(args.file)
    if args.output:
        try:
            graph.set_output(graph.by_name(args.output).id)
        except GraphError as exc:
            raise UsageError(str(exc)) from None
    return graph, feeds


def _jsonable(arr):
    """A number or nested list for JSON; NaN and inf become null (with a warning)."""
    arr = np.asarray(arr, dtype=float)
    finite = np.isfinite(arr)
    if not finite.all():
        print("gradstudio: warning: the result contains NaN or inf (written as null)", file=sys.stderr)
    obj = arr.astype(object)
    obj[~finite] = None
    return obj.tolist() if arr.ndim else obj.item()


def _text(arr) -> str:
    arr = np.asarray(arr)
    return repr(float(arr)) if arr.ndim == 0 else np.array2string(arr, precision=6)


def _cmd_eval(args) -> int:
    from .engine import Engine

    graph, feeds = _load(args)
    eng = Engine(graph, backend=args.backend, dtype=args.dtype)
    if eng.backend.notice:
        print(f"gradstudio: {eng.backend.notice}", file=sys.stderr)
    host = eng.backend.to_host
    if args.grad:
        value, grads = eng.value_and_grad(feeds)
        grads = {k: host(v) for k, v in grads.items()}
    else:
        value, grads = eng.forward(feeds), {}
    value = host(value)
    if args.json:
        print(json.dumps({"value": _jsonable(value), "grad": {k: _jsonable(v) for k, v in grads.items()}}))
    else:
        print(f"value: {_text(value)}")
        if args.grad:
            print("grad:")
            for k, v in grads.items():
                print(f"  {k}: {_text(v)}")
    return 0


def _cmd_check(args) -> int:
    from .engine.gradcheck import gradcheck

    graph, feeds = _load(args)
    report = gradcheck(graph, feeds, eps=args.eps, backend="numpy")
    print(f"value: {report.value!r}")
    print(report.table())
    if not report.rows:
        print("nothing to check: the output depends on no float input or parameter")
    print("all gradients agree" if report.ok else "some gradients DISAGREE with central differences")
    return 0 if report.ok else 1


def _cmd_train(args) -> int:
    from .training import cli_train

    return cli_train.run(args)


def _cmd_interop(args) -> int:
    from .interop import cli as interop_cli

    return {"export": interop_cli.run_export, "import": interop_cli.run_import,
            "data": interop_cli.run_data}[args.command](args)


def _cmd_record(args) -> int:
    from . import cli_program

    return cli_program.run_record(args, _parse_sets)


def _user_errors() -> tuple:
    from .engine import BackendError, FeedError, GraphInvalid
    from .graph.model import GraphError
    from .ops import OpError

    from .graph.program import ProgramError
    from .interop.cli import errors as interop_errors
    from .labels import LabelError
    from .limits import TensorTooLarge

    errs = [UsageError, BackendError, FeedError, GraphInvalid, GraphError, OpError, LabelError,
            TensorTooLarge, ProgramError, *interop_errors()]
    try:
        from .graph.fileformat import GraphFileError
        errs.append(GraphFileError)
    except ImportError:
        pass
    try:
        from .graph.formula import FormulaError
        errs.append(FormulaError)
    except ImportError:
        pass
    return tuple(errs)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    bad = argtypes.undecodable(argv)
    if bad is not None:
        print(f"gradstudio: error: {bad}", file=sys.stderr)
        return 2
    argv = argtypes.join_dash_values(argv, ("--expr",))
    if not argv or argv[0] not in COMMANDS and argv[0] not in ("-h", "--help"):
        args = _app_parser().parse_args(argv)
        from .ui.main import run

        return run(args.file)
    args = _parser().parse_args(argv)
    if args.command is None:
        _parser().print_help()
        return 0
    try:
        argtypes.apply_limit(args)
        return {"eval": _cmd_eval, "check": _cmd_check, "train": _cmd_train, "export": _cmd_interop,
                "import": _cmd_interop, "data": _cmd_interop, "record": _cmd_record}[args.command](args)
    except _user_errors() as exc:
        print(f"gradstudio: error: {exc}", file=sys.stderr)
        return 2 if isinstance(exc, UsageError) else 1
    except KeyboardInterrupt:
        return 130
    except MemoryError:
        print("gradstudio: error: out of memory; lower --max-tensor or use smaller sizes",
              file=sys.stderr)
        return 1
    except Exception as exc:  # never show a raw traceback to a user
        print(f"gradstudio: internal error ({type(exc).__name__}): {exc}. Please report this.",
              file=sys.stderr)
        return 3


if __name__ == "__main__":
    sys.exit(main())
