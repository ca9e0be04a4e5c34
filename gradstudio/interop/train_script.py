"""The text of train.py, the training script `gradstudio export --to torch-train` writes.
Filled in by torch_train.py with the graph's settings (the %(...)s fields)."""

TEMPLATE = '''\
"""Train Model (model.py) with the training settings of the graph
%(title)s:
%(optimizer_text)s; batch %(batch_size)d, %(epochs)d epochs, starting from the graph's
parameters (model.pt). Written by gradstudio; it needs torch and numpy only.

    python train.py data.npz                          # one process
    torchrun --nproc_per_node=4 train.py data.npz     # DistributedDataParallel, 4 processes

data.npz holds X (samples x features) and y (labels or targets); `gradstudio data` writes one.
The batch size is the global one: each of K processes takes batch/K samples of it. With
as many samples as a multiple of the batch, K processes give the weights of one process
(to rounding). gloo on CPU, nccl on GPUs; rank 0 prints and saves.
"""
import argparse
import os
import sys
from pathlib import Path

import numpy as np
import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader, TensorDataset
from torch.utils.data.distributed import DistributedSampler

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from model import Model  # noqa: E402

OPTIMIZER = %(optimizer)r
BATCH_SIZE = %(batch_size)d
EPOCHS = %(epochs)d
FEATURES = %(features)r  # the forward() argument that takes X
FEATURE_SHAPE = %(feature_shape)r  # one sample's shape
LABELS = %(labels)r  # the forward() argument that takes y
LABEL_FORM = %(label_form)r  # index, index_col, onehot, value or value_col
N_CLASSES = %(n_classes)d


def make_optimizer(params, spec, lr):
    name, wd = spec["name"], spec.get("weight_decay", 0.0)
    if name == "sgd":
        return torch.optim.SGD(params, lr=lr, weight_decay=wd)
    if name in ("momentum", "nesterov"):
        return torch.optim.SGD(params, lr=lr, momentum=spec.get("momentum", 0.9), weight_decay=wd,
                               nesterov=name == "nesterov")
    if name == "adam":
        return torch.optim.Adam(params, lr=lr, betas=(spec.get("beta1", 0.9), spec.get("beta2", 0.999)),
                                eps=spec.get("eps", 1e-8), weight_decay=wd)
    if name == "rmsprop":
        return torch.optim.RMSprop(params, lr=lr, alpha=spec.get("alpha", 0.99),
                                   eps=spec.get("eps", 1e-8), weight_decay=wd)
    raise SystemExit(f"unknown optimizer {name!r}")


def labels_tensor(y, dtype):
    if LABEL_FORM in ("index", "index_col"):
        t = torch.as_tensor(y.astype(np.int64))
        return t[:, None] if LABEL_FORM == "index_col" else t
    if LABEL_FORM == "onehot":
        return torch.as_tensor(np.eye(N_CLASSES)[y.astype(np.int64)], dtype=dtype)
    t = torch.as_tensor(y.astype(np.float64), dtype=dtype)
    return t[:, None] if LABEL_FORM == "value_col" else t


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("data", help="an NPZ file with X and y")
    p.add_argument("--epochs", type=int, default=EPOCHS)
    p.add_argument("--batch-size", type=int, default=BATCH_SIZE, help="global batch size")
    p.add_argument("--lr", type=float, default=OPTIMIZER["lr"])
    p.add_argument("--seed", type=int, default=0, help="seed of the shuffling")
    p.add_argument("--init", default=str(HERE / "model.pt"), help="starting parameters")
    p.add_argument("--out", default="trained.pt", help="where rank 0 saves the trained parameters")
    p.add_argument("--double", action="store_true", help="train in float64 (default float32)")
    p.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"),
                   help="auto: the GPU(s) when torch sees one (nccl), else the CPU (gloo)")
    args = p.parse_args()

    distributed = "WORLD_SIZE" in os.environ  # set by torchrun (also for one process)
    cuda = args.device == "cuda" or (args.device == "auto" and torch.cuda.is_available())
    device = torch.device("cuda" if cuda else "cpu")
    if distributed:
        if cuda:
            device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))
            torch.cuda.set_device(device)
        dist.init_process_group("nccl" if cuda else "gloo")
        rank, world = dist.get_rank(), dist.get_world_size()
    else:
        rank, world = 0, 1
    if args.batch_size %% world:
        raise SystemExit(f"the batch size {args.batch_size} must be a multiple of the {world} processes")
    dtype = torch.float64 if args.double else torch.float32

    data = np.load(args.data)
    X = torch.as_tensor(np.asarray(data["X"], dtype=np.float64), dtype=dtype)
    X = X.reshape((X.shape[0],) + tuple(FEATURE_SHAPE))
    dataset = TensorDataset(X, labels_tensor(np.asarray(data["y"]), dtype))

    model = Model().to(dtype)
    model.load_state_dict(torch.load(args.init, map_location="cpu"))
    model.to(device)
    net = DistributedDataParallel(model, device_ids=[device.index] if device.type == "cuda" else None) \\
        if distributed else model
    sampler = DistributedSampler(dataset, num_replicas=world, rank=rank, shuffle=True, seed=args.seed)
    loader = DataLoader(dataset, batch_size=args.batch_size // world, sampler=sampler)
    opt = make_optimizer(net.parameters(), OPTIMIZER, args.lr)

    for epoch in range(args.epochs):
        sampler.set_epoch(epoch)  # a new shuffle each epoch, the same on every process
        total, count = 0.0, 0
        for xb, yb in loader:
            opt.zero_grad()
            loss = net(**{FEATURES: xb.to(device), LABELS: yb.to(device)})
            loss.backward()  # DDP averages the gradients over the processes here
            opt.step()
            total += float(loss.detach()) * len(xb)
            count += len(xb)
        if distributed:  # the mean loss over every process's samples
            sums = torch.tensor([total, float(count)], device=device, dtype=torch.float64)
            dist.all_reduce(sums)
            total, count = float(sums[0]), int(sums[1])
        if rank == 0 and (epoch + 1 == args.epochs or (epoch + 1) %% max(1, args.epochs // 10) == 0):
            print(f"epoch {epoch + 1}/{args.epochs}  loss {total / max(count, 1):.6g}"
                  + (f"  (rank 0 of {world}, {device.type})" if distributed else f"  ({device.type})"),
                  flush=True)

    if rank == 0:
        torch.save({k: v.cpu() for k, v in model.state_dict().items()}, args.out)
        print(f"saved {args.out}", flush=True)
    if distributed:
        dist.barrier()  # without it a gloo rank can abort at exit
        dist.destroy_process_group()


if __name__ == "__main__":
    main()
'''
