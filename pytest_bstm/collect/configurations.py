"""Parameters -> configurations: the value of the parameter or fixture named by
``bstm_configuration_param`` (``browser``) names the TM configuration of a test's results.

A pytest-bdd Scenario Outline's ``Examples:`` column of that name counts as such a parameter.
A value is looked up by name in the account's configurations listing, case-insensitively;
``bstm_configuration_map`` lines (``chrome = 101``) win over the listing. A marker's own
``configurations=[...]`` wins over both. The listing is read once per session, before any
write (:func:`pytest_bstm.delivery.reads.configurations`); under xdist the controller
hands the resolved table to its workers with the rest of the channel's input.

``bstm_configuration_from_session``: a test that called ``bstm.browserstack_session`` and has
no configuration of its own reports under the configuration its session names
(:meth:`Configurations.for_session`, read in the process that runs the test).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import pytest

from pytest_bstm.collect import bdd
from pytest_bstm.collect.mapping import CaseRef

WORKER_INPUT = "bstm_configurations"
MAX_LISTED = 30


@dataclass(frozen=True)
class Configurations:
    """The session's table from a parameter's value to a configuration ID.

    ``listing``: the account's configurations (ID -> name), None when it could not be read
    (then only ``overrides`` name configurations, ``unread`` says why). ``overrides``:
    ``bstm_configuration_map``, lower-case names. ``param`` None: no parameter names them;
    ``from_session``: a BrowserStack session does (``bstm_configuration_from_session``)."""

    param: str | None
    listing: Mapping[int, str] | None
    overrides: Mapping[str, int] = field(default_factory=dict)
    unread: str | None = None
    from_session: bool = False

    @property
    def ambiguous(self) -> dict[str, list[int]]:
        """Names the listing gives to more than one configuration (and the map does not
        settle), lower-case -> their IDs."""
        ids: dict[str, list[int]] = {}
        for cid, name in sorted((self.listing or {}).items()):
            ids.setdefault(name.strip().lower(), []).append(cid)
        return {n: c for n, c in ids.items() if len(c) > 1 and n not in self.overrides}

    @property
    def by_name(self) -> dict[str, int]:
        table = {name.strip().lower(): cid for cid, name in (self.listing or {}).items()}
        table.update(self.overrides)
        return table

    def to_json(self) -> dict[str, Any]:
        listing = None if self.listing is None else [[c, n] for c, n in self.listing.items()]
        return {
            "param": self.param,
            "listing": listing,
            "overrides": dict(self.overrides),
            "unread": self.unread,
            "from_session": self.from_session,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Configurations:
        listing = data.get("listing")
        return cls(
            param=None if data.get("param") is None else str(data["param"]),
            listing=None if listing is None else {int(c): str(n) for c, n in listing},
            overrides={str(k): int(v) for k, v in dict(data.get("overrides") or {}).items()},
            unread=data.get("unread"),
            from_session=bool(data.get("from_session")),
        )

    def for_session(self, details: Mapping[str, Any]) -> tuple[int | None, list[str]]:
        """The configuration a BrowserStack session's details name, and the names tried.

        The names, in order: ``"<os> <os_version> <browser>"`` (``Windows 11 chrome``),
        ``"<browser>"``, ``"<device>"`` (App Automate); each compared case-insensitively
        with the ``bstm_configuration_map`` names first, then the account's listing."""

        def part(key: str) -> str:
            value = details.get(key)
            return str(value).strip() if value not in (None, "") else ""

        os_name, version, browser = part("os"), part("os_version"), part("browser")
        full = " ".join(p for p in (os_name, version, browser) if p) if browser else ""
        tried = list(dict.fromkeys(n for n in (full, browser, part("device")) if n))
        listing = {name.strip().lower(): cid for cid, name in (self.listing or {}).items()}
        for name in self.ambiguous:  # two configurations of one name: neither is meant
            listing.pop(name, None)
        for table in (self.overrides, listing):
            for name in tried:
                if name.lower() in table:
                    return table[name.lower()], tried
        return None, tried

    def known(self) -> str:
        """The account's configurations as ``name (ID)``, at most MAX_LISTED of them."""
        listing = sorted((self.listing or {}).items())
        known = ", ".join(f"{name} ({cid})" for cid, name in listing[:MAX_LISTED]) or "none"
        if len(listing) > MAX_LISTED:
            known += f", ... ({len(listing)} in all)"
        return known

    def apply(self, items: Sequence[pytest.Item], mapping: dict[str, list[CaseRef]]) -> None:
        """Give each mapped test whose parameters include ``param`` that value's configuration
        (refs that name their own keep them); an unknown value is a usage error listing the
        account's configurations. While the listing is unread, the map alone names them, and
        only if it names every value."""
        if self.param is None:
            return
        table = self.by_name
        ambiguous = self.ambiguous
        unknown: list[str] = []
        chosen: dict[str, int] = {}
        for item in items:
            refs = mapping.get(item.nodeid)
            if not refs:
                continue
            params = getattr(getattr(item, "callspec", None), "params", {})
            row = bdd.example_row(item) or {}  # a Scenario Outline's Examples column
            if self.param not in params and self.param not in row:
                continue
            value = params[self.param] if self.param in params else row[self.param]
            if type(value).__name__ == "NotSetType":  # an empty parameter set: pytest skips it
                continue
            name = str(value).strip().lower()
            found = table.get(name)
            if name in ambiguous:
                ids = ", ".join(map(str, ambiguous[name]))
                unknown.append(
                    f"{item.nodeid}: {self.param}={value!r} names more than one configuration "
                    f"({ids}): map it to one in bstm_configuration_map"
                )
            elif found is None:
                unknown.append(f"{item.nodeid}: {self.param}={value!r}")
            else:
                chosen[item.nodeid] = found
        if self.listing is not None:  # the map's IDs must be the account's too
            unknown += [
                f"bstm_configuration_map: {name} = {cid} (no such configuration ID)"
                for name, cid in sorted(self.overrides.items())
                if cid not in self.listing and cid in chosen.values()
            ]
        if unknown and self.listing is not None:
            raise pytest.UsageError(self._unknown(unknown))
        if unknown:  # unread listing: a case under some configurations and none would lose
            return  # results (the run pairs it one way), so every test keeps the defaults
        for nodeid, found in chosen.items():
            mapping[nodeid] = [
                ref if ref.configurations else replace(ref, configurations=(found,))
                for ref in mapping[nodeid]
            ]

    def _unknown(self, unknown: list[str]) -> str:
        known = self.known()
        return (
            f"pytest-bstm: no TM configuration is named by these values of '{self.param}' "
            "(bstm_configuration_param):\n  "
            + "\n  ".join(unknown)
            + f"\nThe account's configurations: {known}.\nUse one of these names, or map the "
            f"value to an ID in bstm_configuration_map (e.g. 'edge = 101')."
        )
