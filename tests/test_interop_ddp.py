"""The exported training script: 2 processes under torchrun (DistributedDataParallel, gloo on
CPU) end with the weights of 1 process with the same global batch."""
from __future__ import annotations

import os
import runpy
import subprocess
import sys

import numpy as np
import pytest
import torch

from gradstudio.cli import main
from gradstudio.paths import EXAMPLES

pytestmark = [pytest.mark.slow, pytest.mark.timeout(240)]


def test_two_processes_train_the_weights_of_one(tmp_path, monkeypatch, capsys):
    folder = tmp_path / "train"
    assert main(["export", str(EXAMPLES / "spiral.gsg"), "--to", "torch-train", "-o", str(folder)]) == 0
    assert main(["data", "spiral", "--size", "128", "-o", str(tmp_path / "d.npz")]) == 0
    script = folder / "train.py"
    text = script.read_text()
    for needed in ("DistributedSampler", "sampler.set_epoch(epoch)", "dist.barrier()",
                   "dist.destroy_process_group()", '"gloo"', "if rank == 0:"):
        assert needed in text
    args = [str(tmp_path / "d.npz"), "--epochs", "3", "--double", "--device", "cpu"]  # batch 64
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONWARNINGS="ignore")
    two = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone",
                          "--nproc_per_node=2", str(script), *args, "--out", str(tmp_path / "two.pt")],
                         capture_output=True, text=True, timeout=200, env=env, cwd=tmp_path)
    assert two.returncode == 0, two.stdout[-2000:] + two.stderr[-4000:]
    assert "rank 0 of 2, cpu" in two.stdout and two.stdout.count("saved") == 1  # rank 0 alone saves
    # one process, run plainly (in this process: torch is already loaded)
    torch.set_num_threads(1)
    monkeypatch.setattr(sys, "argv", [str(script), *args, "--out", str(tmp_path / "one.pt")])
    monkeypatch.delenv("WORLD_SIZE", raising=False)
    monkeypatch.syspath_prepend(str(folder))
    sys.modules.pop("model", None)
    runpy.run_path(str(script), run_name="__main__")
    sys.modules.pop("model", None)
    one, twos = torch.load(tmp_path / "one.pt"), torch.load(tmp_path / "two.pt")
    start = torch.load(folder / "model.pt")
    assert set(one) == set(twos) == set(start)
    for k in one:
        assert not torch.equal(one[k], start[k].to(one[k].dtype)) or k.endswith("bias")
        np.testing.assert_allclose(twos[k].numpy(), one[k].numpy(), rtol=1e-6, atol=1e-9, err_msg=k)
