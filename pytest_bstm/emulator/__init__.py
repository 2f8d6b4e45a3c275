"""A faithful, stateful stand-in for the BrowserStack Test Management API.

Standard library only; it serves ``/api/v2`` over a real socket with HTTP Basic auth, follows
the vendor reference strictly (validation, error codes, 202 + delayed apply, clone population
delay, pagination 30/300, closed-run 404, silent drop of results for unknown cases), can
inject faults (``emu.faults``, the account's rate limit included) and switch between the
answers real clients show where the reference is open (``emu.set_variants``, see
:mod:`~pytest_bstm.emulator.variants`). Choices the reference leaves open are documented in
the handler modules.
"""

from __future__ import annotations

from .cli import serve
from .emulator import DEFAULT_ACCESS_KEY, DEFAULT_USERNAME, Emulator
from .faults import Faults
from .seed import default_seed
from .variants import Variants

__all__ = [
    "DEFAULT_ACCESS_KEY",
    "DEFAULT_USERNAME",
    "Emulator",
    "Faults",
    "Variants",
    "default_seed",
    "serve",
]
