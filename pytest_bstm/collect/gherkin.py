"""The structure of a ``.feature`` file, read line by line: what carries tags and where.

Enough of Gherkin for mapping and onboarding: Feature, Rule, Background, Scenario (Example),
Scenario Outline (Scenario Template) and Examples (Scenarios) blocks, the tags above each with
their line numbers, a scenario's steps and its example rows. Doc strings and comments are
skipped. English keywords only (pytest-bdd's default); a file in another language has no
blocks, so its tests are left unmapped. Nothing here imports pytest-bdd.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

STEP_KEYWORDS = ("Given ", "When ", "Then ", "And ", "But ", "* ")
_BLOCKS = {
    "Feature": "feature",
    "Business Need": "feature",  # English synonyms of Feature (Gherkin's dialect list)
    "Ability": "feature",
    "Rule": "rule",
    "Background": "background",
    "Scenario Outline": "scenario",
    "Scenario Template": "scenario",
    "Scenario": "scenario",
    "Example": "scenario",
    "Examples": "examples",
    "Scenarios": "examples",
}
_DOC_STRINGS = ('"""', "```")


@dataclass(frozen=True)
class Tag:
    name: str  # without the "@"
    line: int  # 1-based


@dataclass
class Block:
    """A Feature, Rule, Scenario or Examples block: its keyword line and the tags above it."""

    keyword: str
    name: str
    line: int
    indent: str
    tags: list[Tag] = field(default_factory=list)
    first_tag_line: int = 0  # the line of its first tag line, else its keyword line


@dataclass
class Examples(Block):
    rows: list[int] = field(default_factory=list)  # lines of the data rows (header excluded)


@dataclass
class Scenario(Block):
    steps: list[tuple[int, str]] = field(default_factory=list)  # (line, "Given a user")
    examples: list[Examples] = field(default_factory=list)
    rule: Block | None = None


@dataclass
class FeatureFile:
    path: str
    feature: Block | None = None
    scenarios: list[Scenario] = field(default_factory=list)

    def scenario_at(self, line: int) -> Scenario | None:
        return next((s for s in self.scenarios if s.line == line), None)

    def scenario_named(self, name: str) -> Scenario | None:
        return next((s for s in self.scenarios if s.name == name), None)


def _keyword(text: str) -> tuple[str, str] | None:
    for word, kind in _BLOCKS.items():
        if text.startswith(word) and text[len(word) :].lstrip().startswith(":"):
            return kind, text[len(word) :].lstrip()[1:].strip()
    return None


def parse(text: str, path: str = "") -> FeatureFile:
    """The blocks of a feature file's ``text`` (any line endings)."""
    out = FeatureFile(path)
    tags: list[Tag] = []
    tag_start = 0
    rule: Block | None = None
    scenario: Scenario | None = None
    examples: Examples | None = None
    header_seen = False
    fence: str | None = None
    for number, raw in enumerate(text.splitlines(), start=1):
        stripped = raw.strip()
        if fence is not None:
            fence = None if stripped.startswith(fence) else fence
            continue
        if stripped.startswith(_DOC_STRINGS):
            fence = stripped[:3]
            continue
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.startswith("@"):
            tag_start = tag_start or number
            words = stripped.split("#", 1)[0].split()
            tags.extend(Tag(w[1:], number) for w in words if w.startswith("@") and len(w) > 1)
            continue
        found = _keyword(stripped)
        if found is not None:
            kind, name = found
            indent = raw[: len(raw) - len(raw.lstrip())]
            start = tag_start or number
            if kind == "feature":
                out.feature = Block("Feature", name, number, indent, tags, start)
            elif kind == "rule":
                rule = Block("Rule", name, number, indent, tags, start)
                scenario = None
            elif kind == "background":
                scenario = None
            elif kind == "scenario":
                keyword = stripped.split(":", 1)[0].strip()
                scenario = Scenario(keyword, name, number, indent, tags, start, rule=rule)
                out.scenarios.append(scenario)
            elif scenario is not None:  # examples
                examples = Examples("Examples", name, number, indent, tags, start)
                scenario.examples.append(examples)
                header_seen = False
            examples = examples if kind == "examples" else None
            tags, tag_start = [], 0
            continue
        if stripped.startswith("|") and examples is not None:
            if header_seen:
                examples.rows.append(number)
            header_seen = True
        elif scenario is not None and stripped.startswith(STEP_KEYWORDS):
            scenario.steps.append((number, stripped))
    return out


def read(path: str | Path) -> FeatureFile:
    """Parse the file at ``path`` (UTF-8, as pytest-bdd reads it by default; other bytes are
    replaced, they cannot be tags or keywords); OSError when it cannot be read."""
    return parse(Path(path).read_text(encoding="utf-8", errors="replace"), str(path))
