"""The ONNX ops that become layers or reshapes in gradstudio: MatMul/Gemm with an
initializer weight as Linear, Reshape/Flatten/Squeeze/Unsqueeze as reshape (with the batch
axis kept symbolic), and integer labels seen in another shape. A mixin of the importer
(onnx_import._Importer), which supplies ``new``, ``add``, ``shape``, ``refuse``, ``attr``..."""
from __future__ import annotations

import numpy as np


class Val:
    """An ONNX value: a graph node's output, or a constant not yet placed in the graph."""

    def __init__(self, node=None, const=None, is_int=False, init_name=None, view=None):
        self.node, self.const, self.is_int, self.init_name = node, const, is_int, init_name
        self.view = view  # integer labels seen in another shape (reshaped); see _Importer.reshape


class Ops:
    """Linear layers and reshapes (see the module docstring)."""

    def own(self, name: str) -> bool:
        """Whether a constant is used by one node only (a weight shared by two layers stays
        one parameter node, so training keeps it shared)."""
        return len(self.consumers.get(name, ())) == 1

    def linear(self, n, x, W, b, name=None) -> Val:
        nid = self.add("linear", name or self.label(n),
                       {"in_features": int(W.shape[0]), "out_features": int(W.shape[1]),
                        "bias": b is not None}, (x,))
        self.g.set_param(f"{nid}.W", np.asarray(W, dtype=np.float64))
        if b is not None:
            self.g.set_param(f"{nid}.b", np.asarray(b, dtype=np.float64))
        return Val(node=nid)

    def _bias(self, W, c):
        """``c`` as a bias vector of W's outputs, or None when it does not fit one."""
        c = np.asarray(c, dtype=np.float64)
        try:
            if c.ndim <= 1 or (c.ndim == 2 and c.shape[0] == 1):
                return np.broadcast_to(c.reshape(-1) if c.ndim else c, (W.shape[1],)).copy()
        except ValueError:
            pass
        return None

    def matmul(self, n, xs) -> Val:
        x, w = xs
        if (w.node is None and w.init_name is not None and np.ndim(w.const) == 2 and not w.is_int
                and self.own(n.input[1])):
            W = np.asarray(w.const)
            users = self.consumers.get(n.output[0], [])
            if (len(users) == 1 and users[0].op_type == "Add" and n.output[0] not in self.outputs):
                add = users[0]
                other = add.input[1] if add.input[0] == n.output[0] else add.input[0]
                ov = self.vals.get(other)
                if ov is not None and ov.node is None and not ov.is_int and np.ndim(ov.const) == 1 \
                        and np.shape(ov.const)[0] == W.shape[1] and self.own(other):
                    self.skip.add(id(add))
                    v = self.linear(n, x, W, ov.const, name=self.label(add))
                    self.vals[add.output[0]] = v
                    return v
            return self.linear(n, x, W, None)
        return self.new(n, "matmul", ins=(x, w))

    def gemm(self, n, xs) -> Val:
        a, b = xs[0], xs[1]
        c = xs[2] if len(xs) > 2 else None
        alpha, beta = self.attr(n, "alpha", 1.0), self.attr(n, "beta", 1.0)
        trans_a, trans_b = self.attr(n, "transA", 0), self.attr(n, "transB", 0)
        label = self.label(n)
        if trans_a:
            a = self.new(n, "transpose", {"axes": [1, 0]}, (a,), name=label + "_At")
        if b.node is None and not b.is_int and np.ndim(b.const) == 2 and self.own(n.input[1]):
            W = np.asarray(b.const, dtype=np.float64)
            W = (W.T if trans_b else W) * alpha
            bias = None
            if c is not None and c.node is None and self.own(n.input[2]):
                bias = self._bias(W, np.asarray(c.const, dtype=np.float64) * beta)
            if c is None or bias is not None:
                return self.linear(n, a, W, bias)
            out = self.linear(n, a, W, None, name=label + "_linear")
        else:
            if trans_b:
                b = self.new(n, "transpose", {"axes": [1, 0]}, (b,), name=label + "_Bt")
            out = self.new(n, "matmul", ins=(a, b), name=label + ("_mm" if c or alpha != 1 else ""))
            if alpha != 1.0:
                out = self.new(n, "mul", ins=(out, Val(const=np.float64(alpha))),
                               name=label + ("_alpha" if c else ""))
            if c is None:
                return out
        if beta != 1.0:
            c = self.new(n, "mul", ins=(c, Val(const=np.float64(beta))), name=label + "_beta")
        return self.new(n, "add", ins=(out, c), name=label)

    def reshape(self, n, xs) -> Val:
        x = xs[0]
        shape = list(self.shape(x))
        op = n.op_type
        if op == "Reshape":
            target = [int(d) for d in self.const_of(n, n.input[1], "shape").ravel()]
            if self.attr(n, "allowzero", 0) and 0 in target:
                self.refuse(n, "a size of 0 is not supported")
            target = [shape[i] if d == 0 else d for i, d in enumerate(target)]
        elif op == "Flatten":
            axis = self.attr(n, "axis", 1) % (len(shape) + 1) if shape else 0
            target = [self._product(n, shape[:axis]), self._product(n, shape[axis:])]
        else:
            axes = self.attr(n, "axes")
            if len(xs) > 1 and xs[1] is not None:
                axes = self.const_of(n, n.input[1], "axes").ravel().tolist()
            if op == "Squeeze":
                axes = [a % len(shape) for a in axes] if axes else [i for i, d in enumerate(shape) if d == 1]
                if any(shape[a] != 1 for a in axes):
                    self.refuse(n, "squeezes an axis whose size is not 1")
                target = [d for i, d in enumerate(shape) if i not in axes]
            else:
                rank = len(shape) + len(axes)
                axes = sorted(a % rank for a in axes)
                target = list(shape)
                for a in axes:
                    target.insert(a, 1)
        target = self._resolve(n, shape, target)
        if target == shape:
            return x
        if x.is_int and x.node is not None:  # labels: reshaped where they are used
            return Val(node=x.node, is_int=True, view=target)
        return self.new(n, "reshape", {"shape": target}, (x,), is_int=x.is_int)

    def _product(self, n, dims):
        syms = [d for d in dims if isinstance(d, str)]
        known = int(np.prod([d for d in dims if not isinstance(d, str)], dtype=np.int64))
        if not syms:
            return known
        if len(syms) == 1 and known == 1:
            return syms[0]
        self.refuse(n, "flattens the batch axis together with others; gradstudio keeps the "
                    "batch axis (N) its own")

    def _resolve(self, n, shape, target):
        if -1 not in target:
            return target
        rest = [d for d in target if d != -1]
        in_syms = sorted(d for d in shape if isinstance(d, str))
        out_syms = sorted(d for d in rest if isinstance(d, str))
        known_in = int(np.prod([d for d in shape if not isinstance(d, str)], dtype=np.int64))
        known_out = int(np.prod([d for d in rest if not isinstance(d, str)], dtype=np.int64))
        if in_syms == out_syms and known_out and known_in % known_out == 0:
            fill = known_in // known_out
        elif len(in_syms) == 1 and not out_syms and known_in == known_out:
            fill = in_syms[0]
        else:
            self.refuse(n, f"reshapes {tuple(shape)} to {tuple(target)}, which mixes the batch "
                        "axis (N) with others")
        return [fill if d == -1 else d for d in target]

    @staticmethod
    def unview(v: Val) -> Val:
        return v if v.view is None else Val(node=v.node, is_int=v.is_int)

    def after_view(self, src: Val, out: Val, extra=()) -> Val:
        """``out`` (made from ``src``'s node) reshaped the way ``src`` was viewed."""
        if src.view is None:
            return out
        target = list(src.view) + list(extra)
        if list(self.shape(out)) == target:
            return out
        name = self.g.nodes[out.node].name + "_reshaped"
        return Val(node=self.add("reshape", name, {"shape": target}, (out,)))
