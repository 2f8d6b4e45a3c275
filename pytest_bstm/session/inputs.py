"""What the sender process reads for the session before its tests run (reads only):
``bstm_configuration_param``'s table of configurations and ``--bstm-select``'s cases of the
run; the xdist controller hands both to its workers."""

from __future__ import annotations

from pytest_bstm.collect.configurations import Configurations
from pytest_bstm.config.settings import Settings
from pytest_bstm.delivery.process import SenderProcess
from pytest_bstm.results.evidence import EvidenceRecorder
from pytest_bstm.session.notices import Notices
from pytest_bstm.session.summary import Summary


class Inputs:
    """Each read once; a line says it when the service cannot answer."""

    def __init__(
        self,
        settings: Settings,
        sender: SenderProcess,
        notices: Notices,
        summary: Summary,
        recorder: EvidenceRecorder | None,
    ) -> None:
        self.settings = settings
        self.sender = sender
        self.notices = notices
        self.summary = summary
        self.recorder = recorder
        self.configurations: Configurations | None = None  # bstm_configuration_param's table
        self.run_cases: set[str] | None = None  # --bstm-select: the cases of the run

    def read_configurations(self) -> None:
        """The sender reads the account's configurations before any write; when it cannot,
        only ``bstm_configuration_map`` applies and a line says so."""
        s = self.settings
        if not (s.configuration_param or s.configuration_from_session):
            return
        listing, unread = self.sender.configurations()
        if unread is not None:
            self.notices.tell(
                f"{unread}: unless bstm_configuration_map names every value of "
                f"'{s.configuration_param}', the tests report under the default configurations"
                if s.configuration_param
                else f"{unread}: only bstm_configuration_map names sessions' configurations"
            )
        own = s.configuration_from_session  # then the recorder names them as tests run
        table = Configurations(s.configuration_param, listing, s.configuration_map, unread, own)
        if self.recorder is not None:
            self.recorder.configurations = table
        self.configurations = table

    def select(self) -> set[str] | None:
        """``--bstm-select``: the sender reads the run's cases (None: it could not)."""
        if self.settings.select and self.run_cases is None:
            self.run_cases, why = self.sender.select()
            if why:
                self.notices.tell(why)
                self.summary.notes.append(why)
        return self.run_cases

    def handed(self) -> tuple[set[str] | None, Configurations | None]:
        """What the xdist controller hands each worker."""
        return self.run_cases, self.configurations
