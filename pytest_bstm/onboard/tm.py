"""``bstm cases sync``, service part: find or create the folders, find or create the cases.

Requests stay within what the work needs (our rule; the service allows 300 requests per
minute per account group, and the client waits out a 429): one listing (all pages) of the
project's top level, one of each existing folder on a needed path that has sub-folders, one
of the cases of each existing target folder that holds cases, then one request per folder
and per case created. So a run never sends more than cases + folders + pages requests. A
dry run sends only the listings.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from pytest_bstm.api import Client
from pytest_bstm.api.case_models import Folder, NewTestCase, TestCaseStep
from pytest_bstm.onboard.plan import Candidate, ScenarioCandidate, node_ids_in

TAG = "pytest"
AUTOMATED = "automated"


@dataclass(frozen=True)
class FolderNode:
    """A folder on a needed path: found, created, or (dry run) to be created (``id`` None)."""

    path: tuple[str, ...]
    id: int | None
    created: bool
    sub_folders: int | None  # direct sub-folders, when known
    cases: int | None  # direct cases, when known

    @property
    def label(self) -> str:
        return "/".join(self.path)


_TOP = FolderNode((), None, False, None, None)  # the project's top level


class CaseSync:
    """Finds and creates folders and cases for one project; ``say`` prints progress."""

    def __init__(
        self, client: Client, project: str, *, dry_run: bool, say: Callable[[str], None]
    ) -> None:
        self.client = client
        self.project = project
        self.dry_run = dry_run
        self.say = say
        self.folders_created = 0
        self._nodes: dict[tuple[str, ...], FolderNode] = {(): _TOP}
        self._children: dict[tuple[str, ...], dict[str, Folder]] = {}
        self._cases: dict[tuple[str, ...], dict[str, str]] = {}

    def folder(self, path: tuple[str, ...]) -> FolderNode:
        """The folder at ``path`` (names from the top level down), created when missing."""
        node = self._nodes.get(path)
        if node is not None:
            return node
        parent = self.folder(path[:-1])
        found = None if parent.created else self._listing(parent).get(path[-1])
        if found is not None:
            node = FolderNode(path, found.id, False, found.sub_folders_count, found.cases_count)
        elif self.dry_run:
            node = FolderNode(path, None, True, 0, 0)
            self.say(f"folder  {'/'.join(path)}  (would be created)")
        else:
            made = self.client.create_folder(
                self.project,
                name=path[-1],
                parent_id=parent.id,
                description=f"Tests of {'/'.join(path[1:]) or 'the suite'}, synced from pytest",
            )
            node = FolderNode(path, made.id, True, 0, 0)
            self.folders_created += 1
            self.say(f"folder  {'/'.join(path)}  (created, id {made.id})")
        self._nodes[path] = node
        return node

    def _listing(self, parent: FolderNode) -> dict[str, Folder]:
        """``parent``'s direct sub-folders by name (the oldest of equal names), listed once."""
        if parent.path not in self._children:
            found: dict[str, Folder] = {}
            if parent.sub_folders != 0:
                folders = self.client.iter_folders(self.project, parent_id=parent.id)
                for folder in sorted(folders, key=lambda f: f.id):
                    found.setdefault(folder.name, folder)
            self._children[parent.path] = found
        return self._children[parent.path]

    def existing_case(self, node: FolderNode, node_id: str) -> str | None:
        """The case in ``node`` whose description names ``node_id``, if any."""
        if node.path not in self._cases:
            known: dict[str, str] = {}
            if not node.created and node.cases != 0 and node.id is not None:
                for case in self.client.iter_project_test_cases(self.project, folder_id=node.id):
                    for named in node_ids_in(case.description):
                        known.setdefault(named, case.identifier)
            self._cases[node.path] = known
        return self._cases[node.path].get(node_id)

    def create_case(self, node: FolderNode, candidate: Candidate | ScenarioCandidate) -> str:
        """Create ``candidate``'s case in ``node``; its identifier ("TC-n")."""
        assert node.id is not None, "no case is created in a dry run"
        case = NewTestCase(
            name=candidate.title,
            description=candidate.description,
            tags=[TAG],
            automation_status=AUTOMATED,
            test_case_steps=[TestCaseStep(step=st, result=res) for st, res in candidate.steps],
        )
        return self.client.create_test_case(self.project, node.id, case).identifier
