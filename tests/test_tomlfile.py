"""Reading a TOML file (safepip.tomlfile): one wording whoever reads it, and the line of a key."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import pytest

from safepip import tomlfile
from safepip.applying.pyproject import plan_add_requirement
from safepip.config import parse_config
from safepip.deciding.static import check_pyproject
from safepip.errors import SafepipError


def _static(path: Path) -> object:
    return check_pyproject(str(path))


def _patcher(path: Path) -> object:
    return plan_add_requirement(str(path), "flit_core>=3.2")


def _config(path: Path) -> object:
    return parse_config(path.read_bytes(), str(path))


READERS: dict[str, Callable[[Path], object]] = {
    "static": _static,
    "patcher": _patcher,
    "config": _config,
}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        pytest.param(
            b"[build-system]\nrequires = ['a'] x\n",
            "is not valid TOML (line 2, column 18): ",
            id="invalid-toml",
        ),
        pytest.param(
            b"[build-system]\nrequires = ['\xff']\n",
            "is not UTF-8 text (byte 0xff at offset 28); TOML files must be UTF-8",
            id="not-utf8",
        ),
    ],
)
@pytest.mark.parametrize("reader", sorted(READERS))
def test_one_wording_whoever_reads(
    tmp_path: Path, reader: str, content: bytes, message: str
) -> None:
    # The patcher parses with tomlkit, the others with pip's parser: the same words, the same
    # position (tomlkit's columns counted from 1 as pip's parser counts them).
    path = tmp_path / "pyproject.toml"
    path.write_bytes(content)
    with pytest.raises(SafepipError) as caught:
        READERS[reader](path)
    assert str(caught.value).startswith(f"{path} {message}"), str(caught.value)


@pytest.mark.parametrize(
    ("text", "key", "line"),
    [
        pytest.param("[project]\nname = 'x'\n[build-system]\nrequires = []\n",
                     ("build-system", "requires"), 4, id="key-in-table"),
        pytest.param("[build-system]\nbuild-backend = 'x'\n", ("build-system", "requires"), 1,
                     id="missing-key-is-the-header"),
        pytest.param("name = 1\nbuild-system.requires = []\n", ("build-system", "requires"), 2,
                     id="dotted"),
        pytest.param("a = 1\nbuild-system.requires = []\n", ("build-system",), 2,
                     id="table-of-a-dotted-key"),
        pytest.param("[ 'build-system' ] # x\nrequires = []\n", ("build-system", "requires"), 2,
                     id="quoted-header"),
        pytest.param("x = 1\nbuild-system = { requires = [] }\n", ("build-system", "requires"), 2,
                     id="inline-table"),
        pytest.param("[tool.x]\nrequires = 1\n[build-system]\n", ("build-system", "requires"), 3,
                     id="other-tables-key-ignored"),
        pytest.param("[build-system]\n[[tool.x]]\nrequires = 1\n", ("build-system", "requires"), 1,
                     id="array-of-tables-ends-the-table"),
        pytest.param("[options]\nfix = 'yes'\n", ("nothing",), 1, id="absent"),
    ],
)  # fmt: skip
def test_key_lines(text: str, key: tuple[str, ...], line: int) -> None:
    assert tomlfile.KeyLines(text).find(key) == line


def test_the_line_of_an_item() -> None:
    lines = tomlfile.KeyLines('[build-system]\nrequires = [\n  "a",\n  "b>=1",\n]\n')
    assert lines.item(("build-system", "requires"), "b>=1") == 4
    assert lines.item(("build-system", "requires"), "c") == 2


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        pytest.param(b"[build-system]\nrequires = ['a']\n", {"requires": ["a"]}, id="table"),
        pytest.param(b"[project]\nname = 'x'\n", None, id="no-table"),
        pytest.param(b"build-system = 1\n", None, id="not-a-table"),
        pytest.param(b"[build-system\n", None, id="invalid"),
        pytest.param(b"\xef\xbb\xbf[build-system]\nrequires = []\n", None, id="bom"),
        pytest.param(b"[build-system]\nrequires = ['\xff']\n", None, id="not-utf8"),
        pytest.param(None, None, id="absent"),
    ],
)
def test_read_build_system_never_raises(
    tmp_path: Path, content: bytes | None, expected: dict[str, object] | None
) -> None:
    path = tmp_path / "pyproject.toml"
    if content is not None:
        path.write_bytes(content)
    assert tomlfile.read_build_system(str(path)) == expected
    assert tomlfile.read_build_system(str(tmp_path)) is None  # a directory
