"""PyTorch export of every op case of the registry: the generated module, in float64,
gives the engine's output and the gradients of every float input and parameter to 1e-9."""
from __future__ import annotations

import numpy as np
import pytest
import torch

import opcases
from interop_cases import case_graph
from gradstudio.engine import Engine
from gradstudio.interop import torch_export

torch.set_num_threads(1)
CASES = list(opcases.CASES)


def load_module(code: torch_export.TorchCode):
    """The generated Model in float64 with the exported parameters, as a user would load it."""
    space: dict = {}
    exec(compile(code.source, "<generated>", "exec"), space)
    model = space["Model"]().double()
    model.load_state_dict({k: torch.from_numpy(v) for k, v in code.state.items()})
    return model


def compare_with_engine(g, feeds, code, rtol=1e-9, atol=1e-12):
    model = load_module(code)
    tens = {}
    for name, v in feeds.items():
        node = g.by_name(name)
        if node.attrs["dtype"] == "int":
            tens[code.inputs[name]] = torch.tensor(np.asarray(v), dtype=torch.int64)
        else:
            tens[code.inputs[name]] = torch.tensor(np.asarray(v, dtype=np.float64), requires_grad=True)
    out = model(**tens)
    value, grads = Engine(g).value_and_grad(feeds)
    np.testing.assert_allclose(out.detach().numpy(), value, rtol=rtol, atol=atol)
    out.backward()
    state = dict(model.named_parameters())
    checked = 0
    for name, want in grads.items():
        if name in code.params:
            key, transposed = code.params[name]
            got = state[key].grad.numpy()
            got = got.T if transposed else got
        else:
            got = tens[code.inputs[name]].grad.numpy()
        np.testing.assert_allclose(got, want, rtol=rtol, atol=atol, err_msg=name)
        checked += 1
    return checked


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_op_case_through_generated_module(case):
    g, feeds = case_graph(case, wrap=True)
    code = torch_export.generate(g)
    assert "gradstudio" not in code.source.split('"""', 2)[2]  # no import of gradstudio
    assert compare_with_engine(g, feeds, code) >= 1
