"""Property-based: any marker arguments or option values are accepted or refused cleanly."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pytest_bstm.collect.mapping import CaseRef, MappingError, refs_from_marker
from pytest_bstm.config.settings import resolve

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True),
    st.text(max_size=12),
    st.from_regex(r"TC-[0-9]{1,6}", fullmatch=True),
)
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=3), max_leaves=6)
kwargs = st.dictionaries(
    st.sampled_from(["configurations", "assignee", "owner", "id"]), values, max_size=3
)


@given(args=st.lists(values, max_size=4), kw=kwargs)
@settings(max_examples=300, deadline=None)
def test_marker_arguments_map_or_raise_a_mapping_error(
    args: list[object], kw: dict[str, object]
) -> None:
    try:
        refs = refs_from_marker(args, kw)
    except MappingError as exc:
        message = str(exc)
        refs = []
    else:
        message = ""
    assert bool(refs) != bool(message)
    assert all(isinstance(r, CaseRef) and r.case_id.startswith("TC-") for r in refs)


option_values = st.one_of(
    st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=20),
    st.from_regex(r"(PR|TR|TP|STP|TC)-[0-9]{1,4}", fullmatch=True),
    st.just("http://127.0.0.1:1"),
    st.just("a@b.co"),
    st.just("101,102"),
)
flags = st.sampled_from(
    [
        "--bstm-run",
        "--bstm-clone",
        "--bstm-clone-statuses",
        "--bstm-run-name",
        "--bstm-assignee",
        "--bstm-tags",
        "--bstm-test-plan",
        "--bstm-sub-test-plan",
        "--bstm-configurations",
        "--bstm-case-assignee",
        "--bstm-url",
        "--bstm-drain-timeout",
        "--bstm-journal",
    ]
)


@given(pairs=st.lists(st.tuples(flags, option_values), max_size=4), project=option_values)
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
def test_option_values_resolve_or_raise_a_usage_error(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    pairs: list[tuple[str, str]],
    project: str,
) -> None:
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    monkeypatch.setenv("BROWSERSTACK_USERNAME", "u")
    monkeypatch.setenv("BROWSERSTACK_ACCESS_KEY", "k")
    args = ["-p", "pytest_bstm.plugin", "-p", "no:cacheprovider", f"--bstm-project={project}"]
    for flag, value in pairs:
        args += [f"{flag}={value}"]
    config = pytester.parseconfig(*args)
    try:
        settings_ = resolve(config)
    except pytest.UsageError as exc:
        message = str(exc)
    else:
        message = ""
        assert settings_.project.startswith("PR-")
        assert "access_key" not in repr(settings_)
    assert not message or message.startswith("pytest-bstm configuration:")
