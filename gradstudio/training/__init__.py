"""Training: datasets, optimizers and the training loop (no Qt)."""
