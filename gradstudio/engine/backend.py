"""Array backends behind one namespace: numpy (CPU), cupy (NVIDIA GPU) and
array-api-strict (CPU, for tests: it refuses to mix with numpy, which catches
accidental host conversions).

All engine array code calls ``backend.xp``. Values enter with :meth:`Backend.asarray`
and leave with :meth:`Backend.to_host`; nothing else moves data between host and device.
"""
from __future__ import annotations

import contextlib
from dataclasses import dataclass

import numpy as np

BACKENDS = ("auto", "numpy", "cupy", "strict")
DTYPES = ("float64", "float32")


class BackendError(Exception):
    """A backend that cannot be used here; the message says why."""


@dataclass
class Backend:
    name: str
    xp: object
    device: str
    notice: str = ""  # one line for the user, e.g. why "auto" fell back to numpy

    def dtype(self, name: str):
        if name not in DTYPES:
            raise BackendError(f"unknown dtype {name!r}; use one of {', '.join(DTYPES)}")
        return getattr(self.xp, name)

    def asarray(self, value, dtype):
        """Move a host value (number, nested list, numpy array) onto this backend."""
        if self.name == "strict":
            return self.xp.asarray(np.asarray(value).tolist() if np.ndim(value) else
                                   np.asarray(value).item(), dtype=dtype)
        return self.xp.asarray(value, dtype=dtype)

    def to_host(self, arr) -> np.ndarray:
        """The one place device values are read back to numpy."""
        if arr is None:
            return None
        if self.name == "cupy":
            return self.xp.asnumpy(arr)
        return np.asarray(arr)

    def is_native(self, value) -> bool:
        """True if ``value`` is already an array of this backend."""
        if self.name == "numpy":
            return isinstance(value, np.ndarray)
        return type(value).__module__.split(".")[0] in ("cupy", "array_api_strict")

    def quiet(self):
        """Silence floating-point warnings (NaN/inf are detected explicitly instead)."""
        if self.name in ("numpy", "strict"):
            return np.errstate(all="ignore")
        return contextlib.nullcontext()


_cache: dict[str, Backend] = {}


def cupy_status() -> tuple[object | None, str]:
    """(cupy module or None, reason it cannot be used)."""
    try:
        import cupy
    except ImportError:
        return None, "cupy is not installed (pip install 'gradstudio[gpu]')"
    except Exception as exc:  # a broken CUDA install raises all sorts of things on import
        return None, f"cupy failed to import: {exc}"
    try:
        if not cupy.is_available():
            return None, "no usable NVIDIA GPU was found"
    except Exception as exc:
        return None, f"the GPU is not usable: {exc}"
    return cupy, ""


def get_backend(name: str = "auto") -> Backend:
    if name not in BACKENDS:
        raise BackendError(f"unknown backend {name!r}; use one of {', '.join(BACKENDS)}")
    if name in _cache:
        return _cache[name]
    if name == "numpy":
        be = Backend("numpy", np, "cpu")
    elif name == "strict":
        import array_api_strict

        be = Backend("strict", array_api_strict, "cpu (array-api-strict)")
    else:
        cupy, reason = cupy_status()
        if cupy is not None:
            import cupy.cuda

            dev = cupy.cuda.Device()
            props = cupy.cuda.runtime.getDeviceProperties(dev.id)
            gpu = props["name"].decode() if isinstance(props["name"], bytes) else props["name"]
            be = Backend("cupy", cupy, f"gpu {dev.id}: {gpu}")
        elif name == "cupy":
            raise BackendError(f"the cupy backend is not available: {reason}")
        else:
            be = Backend("numpy", np, "cpu", notice=f"using numpy on the CPU: {reason}")
    _cache[name] = be
    return be
