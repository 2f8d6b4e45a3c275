"""The ``bstm`` command."""

from pytest_bstm.cli.main import main

__all__ = ["main"]
