"""The pyproject.toml patcher: exact output on real-looking files, every refusal, atomic writes."""

from __future__ import annotations

import difflib
import os
import re
import stat
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

import pytest
import tomlkit
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from packaging.utils import canonicalize_name

from safepip.applying import pyproject as patcher
from safepip.applying.pyproject import (
    PatchError,
    apply_plan,
    plan_add_requirement,
    plan_constrain_requirement,
    plan_set_backend,
    remove_stray_temporaries,
)

FIXTURES = Path(__file__).parent / "pyprojects"
IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0
DEFAULT = "cython>=3.0"
#: Fixtures that add something other than DEFAULT.
REQUIREMENTS = {
    "with-markers": "cython>=3.0; platform_python_implementation == 'CPython'",
    "already-declared-flit-core": "flit_core>=3.2",
    "already-declared-with-markers": "flit_core>=3.2",
}
#: Fixtures without ``requires``: the new one starts from pip's implicit default.
IMPLICIT = {"no-build-system", "build-system-without-requires", "crlf-without-requires"}


def fixture_names() -> list[str]:
    return sorted(
        path.name[: -len(".toml")]
        for path in FIXTURES.glob("*.toml")
        if not path.name.endswith(".expected.toml")
    )


def unwrap(data: bytes) -> dict[str, Any]:
    return tomlkit.parse(data.decode("utf-8-sig")).unwrap()


def comments(data: bytes) -> list[str]:
    """Every comment in a fixture, in order (fixtures hold no '#' inside strings)."""
    return re.findall(r"#[^\r\n]*", data.decode("utf-8-sig"))


def common_prefix(left: str, right: str) -> int:
    length = 0
    while length < min(len(left), len(right)) and left[length] == right[length]:
        length += 1
    return length


def assert_only_additions(old: bytes, new: bytes) -> None:
    """The new text is the old one with text inserted: whole lines, and on at most one old line
    up to two insertions (an item and a comma, or a comma and then a new line)."""
    old_lines = old.decode("utf-8-sig").splitlines(keepends=True)
    new_lines = new.decode("utf-8-sig").splitlines(keepends=True)
    matcher = difflib.SequenceMatcher(a=old_lines, b=new_lines, autojunk=False)
    replaced = [op for op in matcher.get_opcodes() if op[0] not in {"equal", "insert"}]
    assert len(replaced) <= 1, replaced
    for tag, i1, i2, j1, j2 in replaced:
        assert tag == "replace", (tag, old_lines[i1:i2], new_lines[j1:j2])
        assert i2 - i1 == 1, (old_lines[i1:i2], new_lines[j1:j2])
        before, after = old_lines[i1], "".join(new_lines[j1:j2])
        prefix = common_prefix(before, after)
        suffix = common_prefix(before[prefix:][::-1], after[prefix:][::-1])
        middle = before[prefix : len(before) - suffix]
        assert middle in after[prefix : len(after) - suffix], (before, after)


def requires_of(document: dict[str, Any]) -> list[str]:
    return list(document.get("build-system", {}).get("requires", []))


def without_requires(document: dict[str, Any]) -> dict[str, Any]:
    table = dict(document.get("build-system", {}))
    table.pop("requires", None)
    rest = {key: value for key, value in document.items() if key != "build-system"}
    return {**rest, "build-system": table} if table else rest


def names(directory: Path) -> list[str]:
    return sorted(path.name for path in directory.iterdir())


def copy_fixture(name: str, directory: Path) -> Path:
    path = directory / "pyproject.toml"
    path.write_bytes((FIXTURES / f"{name}.toml").read_bytes())
    return path


# --- Exact output on real-looking files ----------------------------------------------------------


@pytest.mark.parametrize("name", fixture_names())
def test_fixture_gains_exactly_the_requirement(name: str, tmp_path: Path) -> None:
    path = copy_fixture(name, tmp_path)
    original = path.read_bytes()
    requirement = REQUIREMENTS.get(name, DEFAULT)

    plan = plan_add_requirement(str(path), requirement)

    if name.startswith("already-declared"):
        assert plan.already_declared is not None
        assert canonicalize_name(plan.already_declared.split(">")[0].split(" ")[0]) == "flit-core"
        assert plan.new == original
        assert not plan.changed
        assert plan.diff() == ""
        return
    expected = (FIXTURES / f"{name}.expected.toml").read_bytes()
    assert plan.new == expected
    assert plan.already_declared is None
    old, new = unwrap(original), unwrap(plan.new)
    before = ["setuptools>=40.8.0"] if name in IMPLICIT else requires_of(old)
    assert requires_of(new) == [*before, requirement]
    assert without_requires(new) == without_requires(old)
    assert comments(plan.new) == comments(original)
    assert_only_additions(original, plan.new)
    # The BOM and the line endings stay as they were.
    assert plan.new.startswith(b"\xef\xbb\xbf") == original.startswith(b"\xef\xbb\xbf")
    if b"\r\n" in original:
        assert re.search(rb"(?<!\r)\n", plan.new) is None
    assert path.read_bytes() == original  # planning writes nothing


@pytest.mark.parametrize(
    ("spelling"),
    ["flit-core", "flit_core", "Flit.Core", "FLIT_CORE>=3.9", "flit-core; python_version>'3'"],
)
def test_other_spellings_are_already_declared(spelling: str, tmp_path: Path) -> None:
    path = tmp_path / "pyproject.toml"
    path.write_text(f'[build-system]\nrequires = ["{spelling}"]\n')
    plan = plan_add_requirement(str(path), "flit_core>=3.2,<4")
    assert plan.already_declared == spelling
    assert not plan.changed


def test_missing_file_is_created_only_when_asked(tmp_path: Path) -> None:
    path = tmp_path / "pyproject.toml"
    with pytest.raises(PatchError, match=r"pyproject.toml: it does not exist$"):
        plan_add_requirement(str(path), "cython>=3.0")
    plan = plan_add_requirement(str(path), "cython>=3.0", create_if_missing=True)
    assert not plan.existed
    assert plan.original == b""
    assert plan.new == (
        b'[build-system]\nrequires = ["setuptools>=40.8.0", "cython>=3.0"]\n'
        b'build-backend = "setuptools.build_meta:__legacy__"\n'
    )
    bare = plan_add_requirement(
        str(path), "cython", create_if_missing=True, legacy_backend_if_created=False
    )
    assert bare.new == b'[build-system]\nrequires = ["setuptools>=40.8.0", "cython"]\n'
    assert not path.exists()
    applied = apply_plan(plan)
    assert path.read_bytes() == plan.new
    assert applied.backup is None


# --- Constraining and setting the backend -----------------------------------------------------


@pytest.mark.parametrize(
    ("requires", "expected"),
    [
        pytest.param('["setuptools>=40"]', '["setuptools>=40,<82"]', id="merged"),
        pytest.param(
            "['setuptools>=40', 'wheel']", "['setuptools>=40,<82', 'wheel']", id="literal"
        ),
        pytest.param('["setuptools"]', '["setuptools<82"]', id="no-version"),
        pytest.param(
            "[\"Setuptools >= 40 ; python_version < '3.12'\"]",
            "[\"Setuptools >= 40,<82 ; python_version < '3.12'\"]",
            id="markers-kept",
        ),
        pytest.param('["setuptools (>=40)"]', '["setuptools (>=40,<82)"]', id="parenthesised"),
        pytest.param('["wheel"]', '["wheel", "setuptools<82"]', id="not-declared"),
    ],
)
def test_constrain_merges_the_cap(requires: str, expected: str, tmp_path: Path) -> None:
    path = tmp_path / "pyproject.toml"
    path.write_text(f"[build-system]\nrequires = {requires}  # keep\n")
    plan = plan_constrain_requirement(str(path), "setuptools", "<82")
    assert plan.new.decode() == f"[build-system]\nrequires = {expected}  # keep\n"


@pytest.mark.parametrize("existing", ["setuptools<70", "setuptools~=69.0", "setuptools==75.1"])
def test_constrain_leaves_an_implied_cap_alone(existing: str, tmp_path: Path) -> None:
    path = tmp_path / "pyproject.toml"
    path.write_text(f'[build-system]\nrequires = ["{existing}"]\n')
    plan = plan_constrain_requirement(str(path), "setuptools", "<82")
    assert not plan.changed
    assert plan.already_declared == existing


@pytest.mark.parametrize(
    ("requires", "message"),
    [
        ('["setuptools>=83"]', r"declares 'setuptools>=83', which conflicts with <82"),
        ('["setuptools @ https://example.org/s.zip"]', r"names setuptools by URL"),
    ],
)
def test_constrain_refuses(requires: str, message: str, tmp_path: Path) -> None:
    path = tmp_path / "pyproject.toml"
    path.write_text(f"[build-system]\nrequires = {requires}\n")
    with pytest.raises(PatchError, match=message):
        plan_constrain_requirement(str(path), "setuptools", "<82")
    with pytest.raises(PatchError, match=r"not a valid version specifier: '<<82'"):
        plan_constrain_requirement(str(path), "setuptools", "<<82")


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        pytest.param(
            "build-backend = 'flit_core.buildap'  # typo",
            "build-backend = 'flit_core.buildapi'  # typo",
            id="literal-and-comment",
        ),
        pytest.param(
            'build-backend="flit_core.buildap"', 'build-backend="flit_core.buildapi"', id="basic"
        ),
    ],
)
def test_set_backend_keeps_quoting_and_comment(line: str, expected: str, tmp_path: Path) -> None:
    path = tmp_path / "pyproject.toml"
    path.write_text(f'[build-system]\nrequires = ["flit_core"]\n{line}\n\n[project]\nname = "x"\n')
    plan = plan_set_backend(str(path), "flit_core.buildapi")
    assert plan.new.decode() == (
        f'[build-system]\nrequires = ["flit_core"]\n{expected}\n\n[project]\nname = "x"\n'
    )
    assert not plan_set_backend(str(path), "flit_core.buildap").changed


def test_set_backend_adds_a_missing_key_and_refuses_nonsense(tmp_path: Path) -> None:
    path = tmp_path / "pyproject.toml"
    path.write_text('[build-system]\nrequires = ["flit_core"]\n')
    plan = plan_set_backend(str(path), "flit_core.buildapi")
    assert (
        plan.new
        == b'[build-system]\nrequires = ["flit_core"]\nbuild-backend = "flit_core.buildapi"\n'
    )
    with pytest.raises(PatchError, match=r"not a valid build backend path: 'flit core'"):
        plan_set_backend(str(path), "flit core")
    path.write_text('[build-system]\nrequires = ["flit_core"]\nbuild-backend = 3\n')
    with pytest.raises(PatchError, match=r"build-backend in .* is not a string"):
        plan_set_backend(str(path), "flit_core.buildapi")


# --- Every refusal ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "message"),
    [
        pytest.param(
            b'[build-system]\nrequires = ["a"]\nbuild-backend = flit\n',
            # safepip's words and the position it computes; the reason after them is tomlkit's
            # wording, which changes between releases (checked only to be there).
            r"is not valid TOML \(line 3, column 18\): \S",
            id="invalid-toml",
        ),
        pytest.param(
            b'[build-system]\nrequires = ["a"]\nrequires = ["b"]\n',
            # tomlkit 0.15 added "(line 3, column 1)" to its duplicate-key message: not ours.
            r"is not valid TOML\b.*\S",
            id="duplicate-key",
        ),
        pytest.param(
            b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe",
            r"is not UTF-8 text \(byte 0x89 at offset 0\); TOML files must be UTF-8$",
            id="binary-garbage",
        ),
        pytest.param(
            b"build-system = 3\n", r"build-system in .* is not a table$", id="not-a-table"
        ),
        pytest.param(
            b'[build-system]\nrequires = "setuptools"\n',
            r"\[build-system\] requires in .*pyproject.toml is not a list$",
            id="requires-not-a-list",
        ),
        pytest.param(
            b"[build-system]\nrequires = [1]\n",
            r"requires in .* holds 1, which is not a string$",
            id="item-not-a-string",
        ),
        pytest.param(
            b'[build-system]\nrequires = [["setuptools"]]\n',
            r"holds \['setuptools'\], which is not a string$",
            id="nested-array",
        ),
    ],
)
def test_refusals_name_the_problem_and_write_nothing(
    content: bytes, message: str, tmp_path: Path
) -> None:
    path = tmp_path / "pyproject.toml"
    path.write_bytes(content)
    with pytest.raises(PatchError, match=message) as raised:
        plan_add_requirement(str(path), "cython")
    assert "\n" not in str(raised.value)
    assert path.read_bytes() == content
    assert names(tmp_path) == ["pyproject.toml"]


def test_invalid_requirement_is_refused(tmp_path: Path) -> None:
    path = copy_fixture("inline-array", tmp_path)
    with pytest.raises(PatchError, match=r"^not a valid requirement: 'cython >= >= 3' \(") as e:
        plan_add_requirement(str(path), "cython >= >= 3")
    assert "\n" not in str(e.value)


def test_directory_named_pyproject_toml(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").mkdir()
    with pytest.raises(PatchError, match=r"^cannot read .*pyproject.toml: it is a directory$"):
        plan_add_requirement(str(tmp_path / "pyproject.toml"), "cython", create_if_missing=True)


@pytest.mark.skipif(IS_ROOT, reason="root reads a chmod 000 file anyway: nothing to refuse")
@pytest.mark.skipif(sys.platform == "win32", reason="chmod cannot take away read access")
def test_unreadable_file(tmp_path: Path) -> None:
    path = copy_fixture("inline-array", tmp_path)
    path.chmod(0)
    try:
        with pytest.raises(PatchError, match=r"^cannot read .*pyproject.toml: permission denied$"):
            plan_add_requirement(str(path), "cython")
    finally:
        path.chmod(0o644)


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX permission bits")
def test_read_only_file_is_refused_even_for_root(tmp_path: Path) -> None:
    # The mode bits are checked as well as os.access: root may write anything, but a file
    # someone made read-only says "do not edit", and safepip honours that for root too.
    path = copy_fixture("inline-array", tmp_path)
    original = path.read_bytes()
    plan = plan_add_requirement(str(path), "cython")
    path.chmod(0o444)
    try:
        with pytest.raises(PatchError, match=r"pyproject.toml is read-only: make it writable"):
            apply_plan(plan)
    finally:
        path.chmod(0o644)
    assert path.read_bytes() == original
    assert names(tmp_path) == ["pyproject.toml"]  # no backup, no temporary


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX permission bits")
def test_read_only_directory_is_refused(tmp_path: Path) -> None:
    path = copy_fixture("inline-array", tmp_path)
    plan = plan_add_requirement(str(path), "cython")
    tmp_path.chmod(0o555)
    try:
        with pytest.raises(PatchError, match=r"its directory .* is read-only"):
            apply_plan(plan)
    finally:
        tmp_path.chmod(0o755)
    assert names(tmp_path) == ["pyproject.toml"]


# --- Writing ----------------------------------------------------------------------------------


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX permission bits")
def test_apply_keeps_permissions_and_backs_up_without_overwriting(tmp_path: Path) -> None:
    path = copy_fixture("comments-everywhere", tmp_path)
    original = path.read_bytes()
    path.chmod(0o640)
    first = apply_plan(plan_add_requirement(str(path), "cython"))
    assert path.read_bytes() == (
        FIXTURES / "comments-everywhere.expected.toml"
    ).read_bytes().replace(b"cython>=3.0", b"cython")
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert first.backup == str(path) + ".safepip-backup"
    assert Path(first.backup).read_bytes() == original
    assert stat.S_IMODE(Path(first.backup).stat().st_mode) == 0o640

    patched = path.read_bytes()
    second = apply_plan(plan_add_requirement(str(path), "numpy>=2"))
    assert second.backup == str(path) + ".safepip-backup.1"
    assert Path(second.backup).read_bytes() == patched
    assert Path(first.backup).read_bytes() == original  # never overwritten
    assert not [name for name in names(tmp_path) if name.startswith(".pyproject.toml.")]


def test_apply_refuses_a_file_changed_since_the_plan(tmp_path: Path) -> None:
    path = copy_fixture("inline-array", tmp_path)
    plan = plan_add_requirement(str(path), "cython")
    path.write_bytes(path.read_bytes() + b"# edited meanwhile\n")
    edited = path.read_bytes()
    with pytest.raises(PatchError, match=r"changed since it was read"):
        apply_plan(plan)
    assert path.read_bytes() == edited
    assert names(tmp_path) == ["pyproject.toml"]

    created = plan_add_requirement(str(tmp_path / "new.toml"), "cython", create_if_missing=True)
    (tmp_path / "new.toml").write_text("# appeared meanwhile\n")
    with pytest.raises(PatchError, match=r"changed since it was read"):
        apply_plan(created)


def test_failed_write_leaves_no_trace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = copy_fixture("inline-array", tmp_path)
    original = path.read_bytes()
    plan = plan_add_requirement(str(path), "cython")

    def full_disk(*args: object, **kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(patcher.os, "rename", full_disk)
    monkeypatch.setattr(patcher.os, "replace", full_disk)
    with pytest.raises(PatchError, match=r"^cannot write .*: No space left on device$"):
        apply_plan(plan)
    assert path.read_bytes() == original
    assert names(tmp_path) == ["pyproject.toml"]


@pytest.mark.skipif(sys.platform == "win32", reason="symbolic links need privileges on Windows")
def test_symlink_inside_the_project_is_written_through_and_named(tmp_path: Path) -> None:
    project = tmp_path / "project"
    (project / "config").mkdir(parents=True)
    real = copy_fixture("inline-array", project / "config")
    link = project / "pyproject.toml"
    link.symlink_to(Path("config") / "pyproject.toml")

    plan = plan_add_requirement(str(link), "cython>=3.0")
    # The diff names the file that changes, not the link.
    assert plan.path == str(project / "config" / "pyproject.toml")
    assert plan.diff().splitlines()[1].endswith("/project/config/pyproject.toml")
    applied = apply_plan(plan)

    assert link.is_symlink()
    assert real.read_bytes() == (FIXTURES / "inline-array.expected.toml").read_bytes()
    assert applied.target == os.path.realpath(real)
    assert applied.backup == str(project / "config" / "pyproject.toml.safepip-backup")


@pytest.mark.skipif(sys.platform == "win32", reason="symbolic links need privileges on Windows")
def test_symlink_out_of_the_project_is_refused(tmp_path: Path) -> None:
    """issue 18, item 4: a pyproject.toml linked to a file outside the project is not changed
    there: one line naming the link and its target, nothing written."""
    shared = tmp_path / "shared"
    shared.mkdir()
    real = copy_fixture("inline-array", shared)
    original = real.read_bytes()
    project = tmp_path / "project"
    project.mkdir()
    link = project / "pyproject.toml"
    link.symlink_to(real)

    with pytest.raises(PatchError) as caught:
        plan_add_requirement(str(link), "cython>=3.0")
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"{link} is a symbolic link to {real}, outside its project folder")
    assert message.endswith("nothing written")
    assert real.read_bytes() == original
    assert sorted(p.name for p in shared.iterdir()) == ["pyproject.toml"]
    assert sorted(p.name for p in project.iterdir()) == ["pyproject.toml"]


def test_remove_stray_temporaries(tmp_path: Path) -> None:
    old = tmp_path / ".pyproject.toml.safepip-0123abcd.tmp"
    fresh = tmp_path / ".pyproject.toml.safepip-4567cdef.tmp"
    backup = tmp_path / "pyproject.toml.safepip-backup"
    for path in (old, fresh, backup):
        path.write_text("x")
    an_hour_ago = time.time() - 3600
    os.utime(old, (an_hour_ago, an_hour_ago))

    assert remove_stray_temporaries(str(tmp_path)) == [str(old)]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([fresh.name, backup.name])
    assert remove_stray_temporaries(str(tmp_path), min_age=0) == [str(fresh)]
    assert remove_stray_temporaries(str(tmp_path / "missing")) == []


def test_diff_is_for_humans(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    path = copy_fixture("crlf", tmp_path)
    diff = plan_add_requirement(str(path), "cython>=3.0").diff()
    assert diff.startswith("--- a/pyproject.toml\n+++ b/pyproject.toml\n@@ ")
    assert '+    "cython>=3.0",\n' in diff
    assert "\r" not in diff
    created = plan_add_requirement("sub/pyproject.toml", "cython", create_if_missing=True)
    assert created.diff().startswith(f"--- /dev/null\n+++ b/sub{os.sep}pyproject.toml\n")


# --- Property: any generated pyproject.toml -------------------------------------------------------

NAMES = ["setuptools>=61", "wheel", "Cython<3", "numpy>=2.0; python_version >= '3.9'", "flit-core"]
ADDED = ["flit_core>=3.2", "hatchling", "cython>=3.0", "poetry-core>=1.0.0; os_name == 'posix'"]


def draw_array(
    draw: st.DrawFn, comment: Callable[[], str], maybe_comment: Callable[[], str]
) -> str:
    """A requires array: inline or one item a line, quoting, spacing, commas and comments."""
    items = draw(st.lists(st.sampled_from(NAMES), unique=True, max_size=4))
    literal = draw(st.booleans())

    def quote(item: str) -> str:
        if literal and "'" not in item and draw(st.booleans()):
            return f"'{item}'"
        return '"' + item.replace('"', '\\"') + '"'

    if draw(st.booleans()):  # inline
        separator = draw(st.sampled_from([", ", ",", " , "]))
        inner = separator.join(quote(item) for item in items)
        padding = draw(st.sampled_from(["", " "]))
        trailing = "," if items and draw(st.booleans()) else ""
        return f"[{padding}{inner}{trailing}{padding}]"
    indent = draw(st.sampled_from(["    ", "  ", "\t", "        "]))
    trailing = draw(st.booleans())
    lines = [f"[{maybe_comment()}"]
    for index, item in enumerate(items):
        if draw(st.booleans()):
            lines.append(indent + comment())
        comma = "," if index < len(items) - 1 or trailing else ""
        lines.append(f"{indent}{quote(item)}{comma}{maybe_comment()}")
    if draw(st.booleans()):
        lines.append(indent + comment())
    lines.append("]")
    return "\n".join(lines)


@st.composite
def pyproject_texts(draw: st.DrawFn) -> tuple[str, bool]:
    """A pyproject.toml text (with "\\n") and whether it should use CRLF; comments "# cN"."""
    counter = iter(range(1000))

    def comment() -> str:
        return f"# c{next(counter)}"

    def maybe_comment(prefix: str = "  ") -> str:
        return prefix + comment() if draw(st.booleans()) else ""

    array = draw_array(draw, comment, maybe_comment)
    backend = draw(st.sampled_from(["", '"setuptools.build_meta"', "'flit_core.buildapi'"]))
    form = draw(st.sampled_from(["header", "header", "dotted", "absent", "no-requires"]))
    project = f'[project]{maybe_comment()}\nname = "demo"  {comment()}\nversion = "1.0"\n'
    tool = f"[tool.demo]\n{comment()}\nkey = [1, 2]\nsub.value = 'x'{maybe_comment()}\n"
    if form == "dotted":
        table = f"build-system.requires = {array}{maybe_comment()}\n"
        if backend:
            table += f"build-system.build-backend = {backend}\n"
    elif form == "absent":
        table = ""
    else:
        table = f"[build-system]{maybe_comment()}\n"
        if draw(st.booleans()):
            table += comment() + "\n"
        keys = [f"requires = {array}{maybe_comment()}"] if form == "header" else []
        if backend:
            keys.insert(draw(st.integers(0, len(keys))), f"build-backend = {backend}")
        table += "".join(key + "\n" for key in keys)
    # Dotted keys must come before any table header; tables may come in any order.
    blocks = [block for block in (table, project, tool) if block]
    blocks = blocks if form == "dotted" else draw(st.permutations(blocks))
    header = comment() + "\n\n" if draw(st.booleans()) else ""
    text = header + "\n".join(blocks)
    if draw(st.integers(0, 9)) == 0:  # now and then, something to refuse
        text += draw(st.sampled_from(["[build-system\n", "x = \n", 'requires = "a"\n']))
    return text, draw(st.booleans())


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(generated=pyproject_texts(), requirement=st.sampled_from(ADDED), bom=st.booleans())
def test_property_adds_one_requirement_or_refuses(
    generated: tuple[str, bool], requirement: str, bom: bool
) -> None:
    text, crlf = generated
    if crlf:
        text = text.replace("\n", "\r\n")
    original = (b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8")
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "pyproject.toml"
        path.write_bytes(original)
        refusal = None
        try:
            plan = plan_add_requirement(str(path), requirement)
            apply_plan(plan, backup=False)
        except PatchError as exc:
            refusal = str(exc)
        written = path.read_bytes()
        assert names(Path(directory)) == ["pyproject.toml"]
    event("refused" if refusal is not None else "planned")
    if refusal is not None:  # refused: one line, and the file is as it was
        assert "\n" not in refusal
        assert written == original
        return

    assert written == plan.new
    old, new = unwrap(original), unwrap(written)
    name = canonicalize_name(re.split(r"[<>=;~ ]", requirement, maxsplit=1)[0])
    declared = [
        item
        for item in requires_of(old)
        if canonicalize_name(re.split(r"[<>=;~ ]", item)[0]) == name
    ]
    event("already declared" if declared else "added")
    if declared:
        assert plan.already_declared == declared[0]
        assert written == original
        return
    before = requires_of(old)
    if "requires" not in old.get("build-system", {}):
        backend = old.get("build-system", {}).get("build-backend", "setuptools.build_meta")
        before = ["setuptools>=40.8.0"] if backend.startswith("setuptools.") else []
    assert requires_of(new) == [*before, requirement]
    assert without_requires(new) == without_requires(old)
    assert comments(written) == comments(original)
    assert written.startswith(b"\xef\xbb\xbf") == bom
    if crlf:
        assert re.search(rb"(?<!\r)\n", written) is None
    else:
        assert b"\r" not in written
    if "requires" in old.get("build-system", {}):
        assert_only_additions(original, written)
