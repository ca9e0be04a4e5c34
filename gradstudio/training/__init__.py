"""Training: datasets, optimizers and the training loop as a generator of step records (no Qt).

    from gradstudio.training import Trainer, make_dataset

    data = make_dataset("spiral", seed=0)
    trainer = Trainer(graph, data, optimizer={"name": "adam", "lr": 0.01}, epochs=200)
    for record in trainer.steps():      # the GUI runs this on a worker thread
        ...                             # record.loss, record.val_accuracy at epoch ends
    trainer.store_params()              # explicit write-back into the graph
"""
from .binding import Binding, BindingError
from .csvdata import Table, load_table_dataset, read_table
from .datasets import DATASETS, DataError, Dataset, DatasetInfo, make_dataset
from .evaluation import Grid
from .loop import Trainer, TrainingError
from .metrics import (Curves, NonFinite, ParamHealth, Snapshot, StepRecord, StopCondition,
                      confusion_matrix)
from .optimizers import OPTIMIZERS, Optimizer, OptimizerConfig, OptimizerError

__all__ = ["Binding", "BindingError", "Curves", "DATASETS", "DataError", "Dataset", "DatasetInfo",
           "Grid", "NonFinite", "OPTIMIZERS", "Optimizer", "OptimizerConfig", "OptimizerError",
           "ParamHealth", "Snapshot", "StepRecord", "StopCondition", "Table", "Trainer",
           "TrainingError", "confusion_matrix", "load_table_dataset", "make_dataset", "read_table"]
