"""The structure of a feature file: blocks, tags with their lines, steps and example rows."""

from __future__ import annotations

import pytest

from pytest_bstm.collect import gherkin

TEXT = """\
# a comment with @TC-99 in it
@TC-1 @slow # a trailing comment @TC-98
Feature: Search

  Background:
    Given a catalogue

  @TC-2
  @TC-3
  Example: by title
    When I search "Dune"
      \"\"\"
      Scenario: inside a doc string
      @TC-97
      \"\"\"
    Then I see 1 book
      | title |
      | Dune  |

  Rule: Authors
    Scenario Template: by <author>
      * I search <author>

      @TC-4
      Scenarios:
        | author |
        | Herbert |
        | Le Guin |
"""


def test_blocks_tags_steps_and_rows() -> None:
    parsed = gherkin.parse(TEXT, "search.feature")
    assert parsed.feature is not None
    assert [(t.name, t.line) for t in parsed.feature.tags] == [("TC-1", 2), ("slow", 2)]
    first, second = parsed.scenarios
    assert (first.keyword, first.name, first.line, first.first_tag_line) == (
        "Example",
        "by title",
        10,
        8,
    )
    assert [t.name for t in first.tags] == ["TC-2", "TC-3"]
    assert first.steps == [(11, 'When I search "Dune"'), (16, "Then I see 1 book")]
    assert first.examples == []
    assert first.rule is None
    assert (second.keyword, second.name, second.indent) == (
        "Scenario Template",
        "by <author>",
        "    ",
    )
    assert second.rule is not None
    assert second.rule.name == "Authors"
    assert second.steps == [(22, "* I search <author>")]
    (examples,) = second.examples
    assert [t.name for t in examples.tags] == ["TC-4"]
    assert examples.rows == [27, 28]
    assert parsed.scenario_at(21) is second
    assert parsed.scenario_named("by title") is first


def test_crlf_and_another_language_keep_to_what_they_can() -> None:
    parsed = gherkin.parse(TEXT.replace("\n", "\r\n"))
    assert [s.line for s in parsed.scenarios] == [10, 21]
    assert (
        gherkin.parse("# language: fr\nFonctionnalité: Recherche\n  Scénario: x\n").scenarios == []
    )


@pytest.mark.parametrize("keyword", ["Feature", "Business Need", "Ability"])
def test_the_feature_keyword_and_its_synonyms_open_the_feature(keyword: str) -> None:
    parsed = gherkin.parse(
        f"@TC-1\n{keyword}: Synonyms\n\n  @TC-2\n  Scenario: tagged\n    Given ok\n\n"
        "  Scenario: untagged\n    Given bad\n"
    )
    assert parsed.feature is not None
    assert [t.name for t in parsed.feature.tags] == ["TC-1"]
    assert [(s.name, [t.name for t in s.tags]) for s in parsed.scenarios] == [
        ("tagged", ["TC-2"]),
        ("untagged", []),
    ]
