"""Adding ``tc`` markers to source: locations from ``ast``, every other byte kept."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_bstm.onboard.markers import BOM, Insertion, SourceChangedError, SourceFile, apply


def source(tmp_path: Path, data: bytes) -> SourceFile:
    path = tmp_path / "test_mod.py"
    path.write_bytes(data)
    return SourceFile.read(path)


def marked(tmp_path: Path, data: bytes, markers: dict[tuple[str, ...], str]) -> bytes:
    """The module after writing ``markers``; the written file must parse."""
    src = source(tmp_path, data)
    return src.write(src.plan(markers))


def test_definitions_by_qualname_through_compound_statements(tmp_path: Path) -> None:
    src = source(
        tmp_path,
        b"import sys\n"
        b"if sys.platform == 'win32':\n"
        b"    def test_os(): pass\n"
        b"else:\n"
        b"    def test_os(): pass\n"
        b"class TestOuter:\n"
        b"    class TestInner:\n"
        b"        async def test_deep(self, record_property):\n"
        b"            record_property(name='id', value='TC-1')\n"
        b"    def test_helper_inside(self):\n"
        b"        def test_not_collected(): pass\n",
    )
    assert [d.line for d in src.definitions(("test_os",))] == [3, 5]
    (deep,) = src.definitions(("TestOuter", "TestInner", "test_deep"))
    assert (deep.line, deep.records_id) == (8, True)
    assert src.definitions(("TestOuter", "test_helper_inside", "test_not_collected")) == []
    assert not src.definitions(("TestOuter", "test_helper_inside"))[0].records_id
    with pytest.raises(ValueError, match="2 definitions"):
        src.plan({("test_os",): "TC-1"})


@pytest.mark.parametrize(
    ("before", "after"),
    [
        (  # no imports, no docstring: above the first statement, then a blank line
            b"#!/usr/bin/env python\n@decorate\ndef test_a(): pass\n",
            b"#!/usr/bin/env python\nimport pytest\n\n"
            b'@pytest.mark.tc("TC-1")\n@decorate\ndef test_a(): pass\n',
        ),
        (  # after the docstring
            b'"""Doc\n\nstring."""\n\ndef test_a(): pass\n',
            b'"""Doc\n\nstring."""\nimport pytest\n\n@pytest.mark.tc("TC-1")\ndef test_a(): pass\n',
        ),
        (  # an alias is used as it is
            b"import os, pytest as pt\n\ndef test_a(): pass\n",
            b'import os, pytest as pt\n\n@pt.mark.tc("TC-1")\ndef test_a(): pass\n',
        ),
        (  # an import below the function does not count: a new one at the top
            b"import os\ndef test_a(): pass\nimport pytest\n",
            b'import os\nimport pytest\n@pytest.mark.tc("TC-1")\n'
            b"def test_a(): pass\nimport pytest\n",
        ),
        (  # multi-line imports, old-Mac line endings
            b"from os import (\r    sep,\r)\rdef test_a(): pass",
            b"from os import (\r    sep,\r)\rimport pytest\r"
            b'@pytest.mark.tc("TC-1")\rdef test_a(): pass',
        ),
        (  # a byte order mark stays first
            BOM + b"def test_a(): pass\n",
            BOM + b'import pytest\n\n@pytest.mark.tc("TC-1")\ndef test_a(): pass\n',
        ),
        (  # form feed and tabs in the indentation are kept
            b"import pytest\nclass TestA:\n\x0c\tdef test_a(self): pass\n",
            b"import pytest\nclass TestA:\n"
            b'\x0c\t@pytest.mark.tc("TC-1")\n\x0c\tdef test_a(self): pass\n',
        ),
    ],
)
def test_import_and_marker_placement(tmp_path: Path, before: bytes, after: bytes) -> None:
    qualname = ("TestA", "test_a") if b"class TestA" in before else ("test_a",)
    assert marked(tmp_path, before, {qualname: "TC-1"}) == after


def test_apply_appends_at_the_end_of_a_file_without_a_last_newline() -> None:
    assert apply(b"x = 1", [Insertion(2, "y = 2")]) == b"x = 1\ny = 2\n"
    assert apply(b"x = 1\r\n", [Insertion(2, "y = 2"), Insertion(1, "# top")]) == (
        b"# top\r\nx = 1\r\ny = 2\r\n"
    )
    with pytest.raises(ValueError, match="outside"):
        apply(b"x = 1\n", [Insertion(3, "y")])


def test_a_changed_file_is_not_written(tmp_path: Path) -> None:
    src = source(tmp_path, b"def test_a(): pass\n")
    insertions = src.plan({("test_a",): "TC-1"})
    src.path.write_bytes(b"def test_a(): pass\n# edited meanwhile\n")
    with pytest.raises(SourceChangedError):
        src.write(insertions)
    assert src.path.read_bytes() == b"def test_a(): pass\n# edited meanwhile\n"


def test_unparsable_sources_raise_syntax_error(tmp_path: Path) -> None:
    for data in (b"def test_a(:\n", b"x = 1\x00\n"):
        with pytest.raises(SyntaxError):
            source(tmp_path, data)
