"""The ``--bstm-*`` options: one table drives ``--help``, the ini keys and the option reference
of the documentation (:func:`reference`, filled into ``docs/options.md`` by the site's build)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from pytest_bstm.vocabulary import DEFAULT_RUN_NAME, DEFAULT_URL, PROJECT_ENV, RUN_ENV, URL_ENV

if TYPE_CHECKING:  # the sender process, which imports these options, never imports pytest
    import pytest

Kind = Literal["string", "bool"]

DEFAULT_JOURNAL_DIR = ".bstm"
DEFAULT_DRAIN_TIMEOUT = 60.0


@dataclass(frozen=True)
class Option:
    """One command line flag with its ini twin and, where named, its environment variable."""

    flag: str
    help: str
    kind: Kind = "string"
    metavar: str | None = None
    env: str | None = None
    default: str | None = None

    @property
    def ini(self) -> str:
        return self.flag.lstrip("-").replace("-", "_")

    @property
    def dest(self) -> str:
        return self.ini


OPTIONS: tuple[Option, ...] = (
    Option(
        "--bstm-project",
        "Enable reporting into this TM project (e.g. PR-1).",
        metavar="PR-N",
        env=PROJECT_ENV,
    ),
    Option(
        "--bstm-url",
        "TM API base URL; plain http:// only for loopback hosts.",
        metavar="URL",
        env=URL_ENV,
        default=DEFAULT_URL,
    ),
    Option("--bstm-run", "Report into this existing run (join it).", metavar="TR-N", env=RUN_ENV),
    Option("--bstm-clone", "Clone this run, then report into the clone.", metavar="TR-N"),
    Option(
        "--bstm-clone-statuses",
        "Clone only cases whose latest result has one of these statuses (by_results).",
        metavar="S1,S2",
    ),
    Option(
        "--bstm-run-name",
        "Name of a created or cloned run; placeholders {date}, {time}, {env:VAR}.",
        metavar="TEXT",
        default=DEFAULT_RUN_NAME,
    ),
    Option("--bstm-run-description", "Description of a created run.", metavar="TEXT"),
    Option("--bstm-assignee", "Assignee (email) of a created run.", metavar="EMAIL"),
    Option("--bstm-tags", "Tags of a created run.", metavar="A,B"),
    Option("--bstm-issues", "Issue keys linked to a created run.", metavar="KEY-1,KEY-2"),
    Option("--bstm-test-plan", "Link a created run to this test plan.", metavar="TP-N"),
    Option("--bstm-sub-test-plan", "Link a created run to this sub test plan.", metavar="STP-N"),
    Option(
        "--bstm-configurations",
        "Configuration IDs for every case (markers may override per test).",
        metavar="101,102",
    ),
    Option(
        "--bstm-configuration-param",
        "The parameter or fixture whose value names each result's TM configuration.",
        metavar="NAME",
    ),
    Option("--bstm-case-assignee", "Default assignee (email) of the run's cases.", metavar="EMAIL"),
    Option(
        "--bstm-prune",
        "Remove from a joined or cloned run the cases no collected test covers.",
        kind="bool",
    ),
    Option(
        "--bstm-select",
        "With --bstm-run/--bstm-clone: deselect tests whose cases are not in that run.",
        kind="bool",
    ),
    Option(
        "--bstm-close",
        "Close the run at the end (default: close created or cloned runs, leave joined runs open).",
        kind="bool",
    ),
    Option("--bstm-no-close", "Leave the run open at the end.", kind="bool"),
    Option("--bstm-dry-run", "Resolve everything, print the calls, write nothing.", kind="bool"),
    Option(
        "--bstm-emulator",
        "Start the bundled TM emulator in-process and report to it (no credentials needed).",
        kind="bool",
    ),
    Option(
        "--bstm-strict",
        "A reporting failure makes the session fail (default: keep pytest's exit code).",
        kind="bool",
    ),
    Option(
        "--bstm-configuration-from-session",
        "Report a test that called bstm.browserstack_session and has no configuration of its "
        "own under the TM configuration its session's OS/browser/device names, if one does.",
        kind="bool",
    ),
    Option(
        "--bstm-attach-output",
        "Attach the captured stdout, stderr and log of a failed test to its results.",
        kind="bool",
    ),
    Option(
        "--bstm-journal",
        "Journal file of results before upload (default: "
        ".bstm/journal-<date>-<time>-<session>.jsonl, one per session).",
        metavar="PATH",
    ),
    Option(
        "--bstm-drain-timeout",
        "Seconds the session end waits for pending uploads.",
        metavar="SECONDS",
        default=str(int(DEFAULT_DRAIN_TIMEOUT)),
    ),
)

INI_ONLY: tuple[tuple[str, str], ...] = (
    (
        "bstm_status_map",
        "Lines 'outcome = status' overriding the status of an outcome "
        "(passed, failed, setup_error, teardown_error, skipped, xfailed, xpassed, rerun_passed).",
    ),
    (
        "bstm_configuration_map",
        "Lines 'value = configuration ID' naming the configuration of a value of "
        "bstm_configuration_param (over the account's configuration names).",
    ),
)


def add_options(parser: pytest.Parser) -> None:
    """Register every flag in the ``bstm`` group and its ini twin."""
    group = parser.getgroup("bstm", "BrowserStack Test Management reporting (pytest-bstm)")
    for opt in OPTIONS:
        extra = f" [env {opt.env}]" if opt.env else ""
        if opt.kind == "bool":
            group.addoption(
                opt.flag, action="store_true", default=None, dest=opt.dest, help=opt.help
            )
            parser.addini(opt.ini, help=opt.help, type="bool", default=None)
        else:
            shown = f" (default: {opt.default})" if opt.default else ""
            group.addoption(
                opt.flag,
                action="store",
                default=None,
                dest=opt.dest,
                metavar=opt.metavar,
                help=opt.help + extra + shown,
            )
            parser.addini(opt.ini, help=opt.help, default=None)
    for name, text in INI_ONLY:
        parser.addini(name, help=text, type="linelist", default=[])


def reference() -> list[list[str]]:
    """The option reference's rows: flag, ini key, environment variable, default, meaning."""
    return [
        [
            f"`{o.flag}{f' {o.metavar}' if o.metavar else ''}`",
            f"`{o.ini}`",
            f"`{o.env}`" if o.env else "",
            f"`{o.default}`" if o.default else "",
            o.help,
        ]
        for o in OPTIONS
    ]
