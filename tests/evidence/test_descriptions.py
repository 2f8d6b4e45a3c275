"""Descriptions a reader can act on: the error's own first line, rootdir-relative paths, the
status of a test that passed only after reruns."""

from __future__ import annotations

from bstm_helpers import Inner


def test_missing_fixture_is_blocked_with_the_error_as_message_and_no_machine_path(
    inner: Inner,
) -> None:
    inner.pytester.makepyfile(
        test_fnf="""
        import pytest

        @pytest.mark.tc("TC-1")
        def test_typo(databse):
            pass

        @pytest.mark.tc("TC-2")
        def test_no_plugin(mocker):
            pass
        """
    )
    inner.run().assert_outcomes(errors=2)
    rid = inner.only_run()["identifier"]
    assert inner.statuses(rid) == {("TC-1", None): "blocked", ("TC-2", None): "blocked"}
    text = inner.descriptions(rid)
    root = str(inner.pytester.path)
    for case, fixture in (("TC-1", "databse"), ("TC-2", "mocker")):
        lines = text[case].splitlines()
        assert lines[0].startswith("SETUP ERROR test_fnf.py::")
        assert lines[1] == f"  fixture '{fixture}' not found"
        assert root not in text[case]
        assert "test_fnf.py:3" in text[case] or "test_fnf.py:7" in text[case]


def test_fail_without_traceback_and_collection_time_skip_name_their_reason(inner: Inner) -> None:
    inner.pytester.makepyfile(
        test_a="""
        import pytest

        @pytest.mark.tc("TC-1")
        def test_fail():
            pytest.fail("the backend answered 503", pytrace=False)

        @pytest.mark.tc("TC-2")
        @pytest.mark.skipif(True, reason="needs the staging database")
        def test_skipped_at_collection():
            pass

        @pytest.mark.tc("TC-3")
        def test_assert():
            assert 1 == 2, "numbers differ"
        """
    )
    inner.run().assert_outcomes(failed=2, skipped=1)
    text = inner.descriptions(inner.only_run()["identifier"])
    assert text["TC-1"].splitlines()[1] == "  Failed: the backend answered 503"
    assert text["TC-2"].splitlines()[1] == "  Skipped: needs the staging database"
    assert text["TC-3"].splitlines()[1] == "  AssertionError: numbers differ"
    root = str(inner.pytester.path)
    assert all(root not in t for t in text.values()), text
    assert "test_a.py:14: AssertionError" in text["TC-3"]


def test_a_test_that_passed_after_reruns_gets_the_status_map_s_rerun_status(
    inner: Inner,
) -> None:
    inner.pytester.makeini("[pytest]\nbstm_status_map =\n    rerun_passed = retest\n")
    inner.pytester.makepyfile(
        """
        import pytest

        calls = {"n": 0}

        @pytest.mark.tc("TC-1")
        def test_flaky():
            calls["n"] += 1
            assert calls["n"] > 1, "first attempt fails"

        @pytest.mark.tc("TC-2")
        def test_steady():
            pass
        """
    )
    inner.run("-p", "pytest_rerunfailures", "--reruns", "2").assert_outcomes(passed=2)
    rid = inner.only_run()["identifier"]
    assert inner.statuses(rid) == {("TC-1", None): "retest", ("TC-2", None): "passed"}
    flaky = inner.descriptions(rid)["TC-1"]
    assert flaky.startswith("RERUN PASSED ")
    assert "rerun: attempt 1 failed in call: AssertionError: first attempt fails" in flaky


def test_paths_are_rootdir_relative_from_another_folder_and_temp_or_foreign_ones_are_not_sent(
    inner: Inner,
) -> None:
    inner.pytester.mkdir("proj")
    (inner.pytester.path / "proj" / "pytest.ini").write_text("[pytest]\n")
    tests = inner.pytester.mkdir("proj/tests")
    (tests / "test_h.py").write_text(
        "import pytest\n"
        "\n"
        '@pytest.mark.tc("TC-1")\n'
        "def test_tmp(tmp_path):\n"
        "    missing = tmp_path / 'data.txt'\n"
        "    assert missing.exists(), f'no {missing}'\n"
        "\n"
        '@pytest.mark.tc("TC-2")\n'
        "def test_foreign():\n"
        "    raise FileNotFoundError('/var/ci/cache/fixtures/users.csv', '/api/v2/items/7')\n"
    )
    inner.run("proj/tests/test_h.py").assert_outcomes(failed=2)
    rid = inner.only_run()["identifier"]
    text = inner.descriptions(rid)
    root = str(inner.pytester.path)
    for case in ("TC-1", "TC-2"):
        assert root not in text[case], text[case]
        assert "proj/" not in text[case], text[case]
        assert "tests/test_h.py:" in text[case], text[case]
    assert "<tmp>/" in text["TC-1"], text["TC-1"]
    assert "data.txt" in text["TC-1"], text["TC-1"]
    assert "/var/ci" not in text["TC-2"], text["TC-2"]
    assert ".../users.csv" in text["TC-2"], text["TC-2"]
    assert "/api/v2/items/7" in text["TC-2"], text["TC-2"]  # a URL's path, no folder here


def test_an_access_key_a_test_prints_is_masked_in_what_is_sent_and_kept(inner: Inner) -> None:
    key = inner.emulator.access_key
    inner.pytester.makepyfile(
        test_leak="""
        import os
        import pytest

        @pytest.mark.tc("TC-1")
        def test_leak():
            print("key", os.environ["BROWSERSTACK_ACCESS_KEY"])
            raise RuntimeError("token=" + os.environ["BROWSERSTACK_ACCESS_KEY"])
        """
    )
    inner.pytester.makeini("[pytest]\nbstm_attach_output = true\nbstm_journal = kept.jsonl\n")
    inner.run("--bstm-no-close").assert_outcomes(failed=1)
    rid = inner.only_run()["identifier"]
    text = inner.descriptions(rid)["TC-1"]
    assert "RuntimeError: token=***" in text
    assert key not in text
    for path in inner.pytester.path.rglob("*"):
        if path.is_file():
            assert key.encode() not in path.read_bytes(), path
