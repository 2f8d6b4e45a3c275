"""Emulator: answers in the variants real clients show (run key, details, paths, statuses)."""

from __future__ import annotations

import pytest
import requests

from pytest_bstm.emulator import Emulator

RUNS = "/projects/PR-1/test-runs"
RUN = RUNS + "/TR-1"


def create(api: requests.Session, **fields: object) -> requests.Response:
    return api.post(RUNS, json={"test_run": {"name": "v", "test_cases": ["TC-1"], **fields}})


def result(case: str, status: str, **extra: object) -> dict[str, object]:
    return {"test_case_id": case, "test_result": {"status": status}, **extra}


# ---------------------------------------------------------------- status names


@pytest.mark.parametrize(
    ("sent", "stored"),
    [
        ("Passed", "passed"),
        ("FAILED", "failed"),
        ("In_Progress", "in_progress"),
        ("Flaky", "flaky"),
    ],
)
def test_status_names_match_in_any_case(
    emulator: Emulator, emulator_api: requests.Session, sent: str, stored: str
) -> None:
    create(emulator_api)
    answer = emulator_api.post(RUN + "/results", json=result("TC-1", sent))
    assert answer.status_code == 200, answer.json()
    assert [r["status"] for r in emulator.results("TR-1")] == [stored]
    [item] = emulator_api.get(RUN + "/results").json()["test-results"]
    assert item["result_status"]["field_value"] == stored.replace("_", " ").title()


def test_unknown_status_is_still_refused(
    emulator: Emulator, emulator_api: requests.Session
) -> None:
    create(emulator_api)
    answer = emulator_api.post(RUN + "/results", json=result("TC-1", "Flakey"))
    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_status"
    assert emulator.results("TR-1") == []


def test_clone_statuses_match_in_any_case(
    emulator: Emulator, emulator_api: requests.Session
) -> None:
    create(emulator_api, test_cases=["TC-1", "TC-2"])
    emulator_api.post(RUN + "/results", json=result("TC-1", "Flaky"))
    body = {"test_case_selection": "by_results", "statuses": ["FLAKY"]}
    assert emulator_api.post(RUN + "/clone", json=body).status_code == 200
    assert emulator.wait_idle()
    assert [c["test_case_id"] for c in emulator.run_cases("TR-2")] == ["TC-1"]


def test_listed_issue_type_follows_the_run_tracker(emulator_api: requests.Session) -> None:
    create(emulator_api, issue_tracker={"name": "asana"})
    body = result("TC-1", "passed")
    body["test_result"] = {"status": "passed", "issues": ["T-1", "T-2"]}
    emulator_api.post(RUN + "/results", json=body)
    [item] = emulator_api.get(RUN + "/results").json()["test-results"]
    assert [(i["issue_id"], i["issue_type"]) for i in item["issues"]] == [
        ("T-1", "asana"),
        ("T-2", "asana"),
    ]
    assert item["custom_fields"] == []


# ---------------------------------------------------------------- the run's key


def _answers(api: requests.Session) -> dict[str, dict[str, object]]:
    """One answer of each run operation, on TR-1 (and its clone TR-2)."""
    answers = {"create": create(api).json()}
    answers["update"] = api.patch(RUN + "/update", json={"test_run": {"name": "w"}}).json()
    answers["clone"] = api.post(RUN + "/clone", json={}).json()
    answers["details"] = api.get(RUN).json()
    answers["minified"] = api.get(RUN, params={"minify": "true"}).json()
    answers["close"] = api.post(RUN + "/close").json()
    return answers


def test_run_keys_follow_the_doc_by_default(emulator_api: requests.Session) -> None:
    keys = {op: set(answer) - {"success"} for op, answer in _answers(emulator_api).items()}
    assert keys == {
        "create": {"testrun"},
        "update": {"testrun"},
        "clone": {"test_run"},
        "details": {"test_run"},
        "minified": {"test_run"},
        "close": {"testrun"},
    }


@pytest.mark.parametrize("key", ["testrun", "test_run"])
def test_run_key_variant_applies_to_every_answer(
    emulator: Emulator, emulator_api: requests.Session, key: str
) -> None:
    emulator.set_variants(run_key=key)
    for op, answer in _answers(emulator_api).items():
        assert set(answer) == {"success", key}, op
        run = answer[key]
        assert isinstance(run, dict)
        assert run["identifier"] == ("TR-2" if op == "clone" else "TR-1")


def test_run_at_the_top_level(emulator: Emulator, emulator_api: requests.Session) -> None:
    emulator.set_variants(run_key="top")
    answers = _answers(emulator_api)
    for op, answer in answers.items():
        assert answer["success"] is True
        assert "testrun" not in answer
        assert "test_run" not in answer
        assert answer["identifier"] == ("TR-2" if op == "clone" else "TR-1"), op
    assert answers["close"]["active_state"] == "closed"
    assert isinstance(answers["details"]["test_cases"], list)


def test_details_without_identifier(emulator: Emulator, emulator_api: requests.Session) -> None:
    emulator.set_variants(details_identifier=False)
    answers = _answers(emulator_api)
    assert "identifier" not in answers["details"]["test_run"]  # type: ignore[operator]
    assert "identifier" not in answers["minified"]["test_run"]  # type: ignore[operator]
    assert answers["details"]["test_run"]["name"] == "w"  # type: ignore[index]
    for op in ("create", "update", "close"):
        assert answers[op]["testrun"]["identifier"] == "TR-1"  # type: ignore[index]


# ---------------------------------------------------------------- add/remove paths

CHANGE = {"test_run": {"add_test_cases": [{"test_case_ids": ["TC-2"]}]}}


def test_changes_are_served_at_both_paths(
    emulator: Emulator, emulator_api: requests.Session
) -> None:
    create(emulator_api)
    vendor = emulator_api.patch(RUN + "/test-cases", json=CHANGE)
    assert vendor.status_code == 202
    assert vendor.json()["unique_id"]
    remove = {"test_run": {"remove_test_cases": [{"test_case_ids": ["TC-1"]}]}}
    assert emulator_api.patch(RUN + "/update-test-cases", json=remove).status_code == 202
    assert emulator.wait_idle()
    assert [c["test_case_id"] for c in emulator.run_cases("TR-1")] == ["TC-2"]


def test_documented_path_only(emulator: Emulator, emulator_api: requests.Session) -> None:
    emulator.set_variants(case_paths="update-test-cases")
    create(emulator_api)
    refused = emulator_api.patch(RUN + "/test-cases", json=CHANGE)
    assert refused.status_code == 405
    assert emulator_api.get(RUN + "/test-cases").status_code == 200
    assert emulator_api.patch(RUN + "/update-test-cases", json=CHANGE).status_code == 202


def test_vendor_code_path_only(emulator: Emulator, emulator_api: requests.Session) -> None:
    emulator.set_variants(case_paths="test-cases")
    create(emulator_api)
    refused = emulator_api.patch(RUN + "/update-test-cases", json=CHANGE)
    assert refused.status_code == 404
    assert refused.json()["error"] == "not_found"
    assert emulator_api.patch(RUN + "/test-cases", json=CHANGE).status_code == 202
    assert emulator.wait_idle()
    assert [c["test_case_id"] for c in emulator.run_cases("TR-1")] == ["TC-1", "TC-2"]


# ---------------------------------------------------------------- a case not in the run


def test_case_not_in_run_rejected_by_default(
    emulator: Emulator, emulator_api: requests.Session
) -> None:
    create(emulator_api)
    bulk = {"results": [result("TC-1", "passed"), result("TC-9", "failed")]}
    answer = emulator_api.post(RUN + "/results", json=bulk)
    assert (answer.status_code, answer.json()["error"]) == (400, "test_case_not_in_run")
    assert emulator.results("TR-1") == []


def test_case_not_in_run_accepted_and_added(
    emulator: Emulator, emulator_api: requests.Session
) -> None:
    emulator.set_variants(case_not_in_run="add")
    create(emulator_api, test_case_assignee="qa@example.com")
    bulk = [
        result("TC-1", "passed"),
        result("TC-9", "failed"),
        result("TC-1", "blocked", configuration_id=102),
        result("TC-4040", "passed"),  # not in the project: still dropped
    ]
    assert emulator_api.post(RUN + "/results", json={"results": bulk}).status_code == 200
    cases = {(c["test_case_id"], c["configuration_id"]): c for c in emulator.run_cases("TR-1")}
    assert {key: c["latest_status"] for key, c in cases.items()} == {
        ("TC-1", None): "passed",
        ("TC-9", None): "failed",
        ("TC-1", 102): "blocked",
    }
    assert cases[("TC-9", None)]["assignee"] == "qa@example.com"
    assert len(emulator.results("TR-1")) == 3
    unknown_config = result("TC-2", "passed", configuration_id=999)
    answer = emulator_api.post(RUN + "/results", json=unknown_config)
    assert (answer.status_code, answer.json()["error"]) == (400, "invalid_configuration_ids")
    assert len(emulator.run_cases("TR-1")) == 3


# ---------------------------------------------------------------- setting variants


def test_variants_from_seed_constructor_and_reset() -> None:
    seed = {"projects": [{"identifier": "PR-1", "test_cases": ["TC-1"]}]}
    seed["variants"] = {"run_key": "top", "case_paths": "test-cases"}  # type: ignore[assignment]
    emu = Emulator(seed=seed, variants={"case_not_in_run": "add"})
    assert (emu.variants.run_key, emu.variants.case_paths) == ("top", "test-cases")
    assert emu.variants.case_not_in_run == "add"
    emu.set_variants(run_key="testrun", details_identifier=False)
    assert emu.variants.run_key == "testrun"
    emu.reset()
    assert emu.variants.run_key == "top"
    assert emu.variants.details_identifier is True


@pytest.mark.parametrize(
    "variants",
    [{"run_key": "data"}, {"case_paths": "none"}, {"case_not_in_run": "ignore"}, {"colour": 1}],
)
def test_unknown_variants_are_value_errors(variants: dict[str, object]) -> None:
    with pytest.raises(ValueError, match="variant"):
        Emulator(variants=variants)


def test_seed_variants_must_be_an_object() -> None:
    with pytest.raises(ValueError, match="variants"):
        Emulator(seed={"projects": [], "variants": ["top"]})
