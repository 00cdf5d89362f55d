"""jitgrad's optimizers (mirrors ``torch.optim``)."""
