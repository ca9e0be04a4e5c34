"""Command-line argument checks shared by `gradstudio eval|check|train`: every number
option is checked by argparse itself (a bad one is a usage error, exit 2, one line),
so no bad value reaches the work and fails there as an "internal error"."""
from __future__ import annotations

import argparse
import math

from . import limits


def _number(text: str, kind=float):
    try:
        value = kind(text)
    except (TypeError, ValueError, OverflowError):
        what = "a whole number" if kind is int else "a number"
        raise argparse.ArgumentTypeError(f"{text!r} is not {what}") from None
    if kind is float and not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"{text!r} is not a finite number")
    return value


def finite_float(text: str) -> float:
    return _number(text)


def positive_float(text: str) -> float:
    value = _number(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be greater than 0")
    return value


def nonneg_float(text: str) -> float:
    value = _number(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be 0 or more")
    return value


def fraction(text: str) -> float:
    value = _number(text)
    if not 0 <= value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} must be at least 0 and less than 1")
    return value


def unit_interval(text: str) -> float:
    value = _number(text)
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"{text!r} must be between 0 and 1")
    return value


def nonneg_int(text: str) -> int:
    value = _number(text, int)
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be 0 or more")
    if value >= 2**63:
        raise argparse.ArgumentTypeError(f"{text!r} is too large")
    return value


def positive_int(text: str) -> int:
    value = nonneg_int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} must be 1 or more")
    return value


def size(text: str) -> int:
    try:
        return limits.parse_size(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def add_limit_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--max-tensor", metavar="SIZE", type=size,
                   help="largest tensor to create, e.g. 2G (default: a quarter of the memory)")


def apply_limit(args) -> None:
    if getattr(args, "max_tensor", None) is not None:
        limits.set_limit(args.max_tensor)


def undecodable(argv: list) -> str | None:
    """The message for an argument that is not valid text in the system's encoding
    (Python hands such bytes over as lone surrogates), or None."""
    for i, arg in enumerate(argv):
        try:
            arg.encode("utf-8")
        except UnicodeEncodeError:
            shown = arg.encode("utf-8", "backslashreplace").decode("ascii", "backslashreplace")
            return f"argument {i + 1} ({shown[:60]}) is not valid UTF-8 text"
    return None


def join_dash_values(argv: list, options: tuple) -> list:
    """``--expr -x`` -> ``--expr=-x``: argparse takes a value that starts with '-' for an
    option; after these options the next word is always their value."""
    out, i = [], 0
    while i < len(argv):
        if argv[i] in options and i + 1 < len(argv) and argv[i + 1].startswith("-"):
            out.append(f"{argv[i]}={argv[i + 1]}")
            i += 2
        else:
            out.append(argv[i])
            i += 1
    return out
