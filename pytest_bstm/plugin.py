"""pytest entry point (``pytest11`` name ``bstm``)."""
