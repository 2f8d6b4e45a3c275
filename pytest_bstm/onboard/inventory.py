"""What a suite holds: every test function and whether it is mapped, from pytest's own collection.

:func:`collect` runs ``pytest --collect-only`` in this process with the suite's own
configuration (ini file, ``conftest.py`` files, plugins) and reporting off, maps the items
with the plugin's rules (:func:`pytest_bstm.collect.mapping.map_items`: the ``tc`` marker and
the ``pytest_bstm_case_ids`` hook), and groups them by the function that defines them: all
parameter sets of a parametrized function are one function. Nothing is written: no bytecode,
no ``.pytest_cache``; the suite's modules are dropped from ``sys.modules`` afterwards.
"""

from __future__ import annotations

import importlib
import io
import os
import sys
import tempfile
from collections.abc import Sequence
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

import pytest

from pytest_bstm.collect import bdd, gherkin, mapping
from pytest_bstm.onboard.markers import Qualname


class CollectionFailed(Exception):
    """pytest could not collect the suite at all, or a ``tc`` marker is invalid."""


@dataclass
class TestFunction:
    """A test function and the items (parameter sets, inheriting classes) it produced."""

    __test__ = False  # not a pytest test class

    path: Path  # the module's file
    qualname: Qualname  # class names, then the function's name
    node_id: str  # without parameters: "tests/test_a.py::TestA::test_x"
    items: int = 0
    mapped: int = 0  # items with at least one case (marker or hook)


@dataclass
class TestScenario:
    """A pytest-bdd scenario (its every Examples row, through any test function)."""

    __test__ = False  # not a pytest test class

    path: Path  # the feature file
    node_id: str  # "features/accounts.feature::Log in" (rootdir-relative)
    scenario: gherkin.Scenario
    items: int = 0
    mapped: int = 0  # items with at least one case (tag, marker or hook)


@dataclass(frozen=True)
class CollectionError:
    """A file or directory pytest could not collect, and why (one line)."""

    node_id: str
    reason: str


@dataclass
class Inventory:
    rootdir: Path
    functions: list[TestFunction] = field(default_factory=list)
    scenarios: list[TestScenario] = field(default_factory=list)
    mapped_cases: dict[str, list[str]] = field(default_factory=dict)  # case -> its node IDs
    errors: list[CollectionError] = field(default_factory=list)
    other_items: int = 0  # items that are not Python test functions (doctests, plugin items)


class _Collector:
    """The plugin that watches one collection."""

    def __init__(self) -> None:
        self.inventory: Inventory | None = None
        self.errors: list[CollectionError] = []
        self.failure: str | None = None

    @pytest.hookimpl(trylast=True)
    def pytest_configure(self, config: pytest.Config) -> None:
        # reporting is off, so the plugin did not register the built-in marker reader
        if not config.pluginmanager.is_registered(mapping):
            config.pluginmanager.register(mapping, "bstm-mapping")

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            self.errors.append(CollectionError(report.nodeid, _reason(str(report.longrepr))))

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        inventory = Inventory(rootdir=session.config.rootpath, errors=self.errors)
        self.inventory = inventory
        if not hasattr(session.config.hook, "pytest_bstm_case_ids"):
            self.failure = "the pytest-bstm plugin is not loaded (is it blocked with -p no:bstm?)"
            return
        try:
            found = mapping.map_items(session.config, session.items)
        except pytest.UsageError as exc:
            self.failure = str(exc)
            return
        for nodeid, refs in found.items():
            for ref in refs:
                inventory.mapped_cases.setdefault(ref.case_id, []).append(nodeid)
        functions: dict[tuple[Path, Qualname], TestFunction] = {}
        scenarios: dict[tuple[str, int], TestScenario] = {}
        for item in session.items:
            bdd_scenario = bdd.scenario_of(item)
            if bdd_scenario is not None:  # a scenario's case lives in its feature file
                where, parsed, scenario = bdd_scenario
                one = scenarios.setdefault(
                    (where, scenario.line),
                    TestScenario(Path(parsed.path), f"{where}::{scenario.name}", scenario),
                )
                one.items += 1
                one.mapped += bool(found.get(item.nodeid))
                continue
            module = item.getparent(pytest.Module)
            if not isinstance(item, pytest.Function) or module is None:
                inventory.other_items += 1
                continue
            chain = item.listchain()
            between = chain[chain.index(module) + 1 : -1]
            qualname = (
                *(n.name for n in between if isinstance(n, pytest.Class)),
                item.originalname,
            )
            node_id = item.nodeid[: len(item.nodeid) - len(item.name)] + item.originalname
            entry = functions.setdefault(
                (module.path, qualname), TestFunction(module.path, qualname, node_id)
            )
            entry.items += 1
            entry.mapped += bool(found.get(item.nodeid))
        inventory.functions = list(functions.values())
        inventory.scenarios = list(scenarios.values())


def _reason(text: str) -> str:
    """One line from a collection error's report: its last ``E`` line, else its last line."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    errors = [line[1:].strip() for line in lines if line.startswith("E ")]
    return (errors or lines or ["unknown error"])[-1]


def collect(args: Sequence[str]) -> Inventory:
    """Collect ``args`` (paths or node IDs, as for pytest; none: pytest's defaults).

    Raises CollectionFailed when pytest stops before collecting (a usage error, a broken
    ``conftest.py``) or a ``tc`` marker is invalid; files pytest could not import are listed
    in ``Inventory.errors`` and the rest is collected.
    """
    # --assert=plain: nothing runs, so nothing needs rewriting; and the plugin, imported by
    # `bstm` before pytest starts, would make pytest warn that it cannot rewrite it (an error
    # under the suite's `filterwarnings = error`)
    argv = [*args, "--collect-only", "-q", "--assert=plain"]
    argv += ["--bstm-project=", "-o", "bstm_emulator=false"]  # never report from here
    if os.environ.get("PYTEST_DISABLE_PLUGIN_AUTOLOAD"):
        argv += ["-p", "pytest_bstm.plugin"]
    collector = _Collector()
    output = io.StringIO()
    modules, path, bytecode = dict(sys.modules), list(sys.path), sys.dont_write_bytecode
    try:
        sys.dont_write_bytecode = True
        importlib.invalidate_caches()
        # a suite may need pytest's cache (--lf/--ff in addopts, a conftest reading
        # config.cache): it gets one, thrown away after, so the user's cache stays as it was
        with (
            tempfile.TemporaryDirectory(prefix="bstm-sync-cache-") as cache,
            redirect_stdout(output),
            redirect_stderr(output),
        ):
            code = pytest.main([*argv, "-o", f"cache_dir={cache}"], plugins=[collector])
    finally:
        sys.dont_write_bytecode = bytecode
        sys.path[:] = path
        root = collector.inventory.rootdir if collector.inventory else Path.cwd()
        _forget_suite(modules, root)
    if collector.failure is not None:
        raise CollectionFailed(collector.failure)
    if collector.inventory is None or code in (
        pytest.ExitCode.USAGE_ERROR,
        pytest.ExitCode.INTERNAL_ERROR,
    ):
        raise CollectionFailed(f"pytest could not collect the tests: {_reason(output.getvalue())}")
    return collector.inventory


def _forget_suite(saved: dict[str, ModuleType], root: Path) -> None:
    """Put back modules the collection replaced; drop the ones it imported from ``root``."""
    root = root.resolve()
    for name, module in list(sys.modules.items()):
        if name in saved:
            if saved[name] is not module:
                sys.modules[name] = saved[name]
        elif _inside(module, root):
            del sys.modules[name]
    for name, module in saved.items():
        sys.modules.setdefault(name, module)


def _inside(module: ModuleType, root: Path) -> bool:
    files = [getattr(module, "__file__", None), *getattr(module, "__path__", [])]
    return any(f and Path(f).resolve().is_relative_to(root) for f in files)
