"""jitgrad's neural-network package (mirrors ``torch.nn``)."""
