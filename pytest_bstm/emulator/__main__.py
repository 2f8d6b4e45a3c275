"""``python -m pytest_bstm.emulator``."""

from pytest_bstm.emulator.cli import serve

raise SystemExit(serve())
