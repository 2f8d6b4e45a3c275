"""``--bstm-dry-run``: the calls a session would make, computed without any request."""

from __future__ import annotations

import json
import math

from pytest_bstm.config.settings import Settings
from pytest_bstm.run.lifecycle import Plan, create_payload, selections

API = "/api/v2/projects"


def _short(body: object, limit: int = 160) -> str:
    text = json.dumps(body, separators=(",", ":"))
    return text if len(text) <= limit else text[: limit - 3] + "..."


def calls(settings: Settings, plan: Plan, token: str) -> list[str]:
    """Describe each request, in order, with a bounded body excerpt. Never holds credentials."""
    p = settings.project
    out = [f"GET  {API}/{p}/test-cases?page_size=300 (which mapped cases exist)"]
    if settings.mode == "create":
        if not plan.pairs:
            return ["(no mapped tests: no run would be created)"]
        body = create_payload(settings, plan, token)
        out.append(f"POST {API}/{p}/test-runs {_short({'test_run': body})}")
        run = "<new run>"
    else:
        source = settings.run_id if settings.mode == "join" else settings.clone_id
        if settings.mode == "clone":
            clone: dict[str, object] = {"name": settings.run_name}
            if settings.clone_statuses:
                clone.update(
                    test_case_selection="by_results", statuses=list(settings.clone_statuses)
                )
            out.append(f"POST {API}/{p}/test-runs/{source}/clone {_short(clone)}")
            run = "<clone>"
        else:
            run = str(source)
            out.append(f"GET  {API}/{p}/test-runs/{run}?minify=true")
        out.append(f"GET  {API}/{p}/test-runs/{run}/test-cases?page_size=300")
        add = [s.model_dump(exclude_none=True) for s in selections(plan.pairs)]
        verb = "add missing" + (", remove uncovered" if settings.prune else "")
        out.append(
            f"PATCH {API}/{p}/test-runs/{run}/update-test-cases ({verb}, "
            f"preserve_existing_results) {_short({'add_test_cases': add})}"
        )
    assignees = sorted(set(plan.assignees.values()))
    if assignees and (
        settings.mode != "create" or len(assignees) > 1 or not settings.case_assignee
    ):
        out.append(f"POST {API}/{p}/test-runs/{run}/assign (cases to {', '.join(assignees)})")
    batches = max(1, math.ceil(len(plan.pairs) / 300))
    out.append(
        f"POST {API}/{p}/test-runs/{run}/results x{batches} "
        f"(up to {len(plan.pairs)} results, 300 per request)"
    )
    if settings.close:
        out.append(f"POST {API}/{p}/test-runs/{run}/close")
    return out
