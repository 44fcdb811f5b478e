"""The store of fixed wheels (safepip.memory) and their offer to pip (safepip.applying.reuse).

In process: the store's files and folders, its keys, its bound, its refusals, and which command
is offered which wheel. End to end (real pip): an sdist fixed once installs in a second fresh
venv with one pip run, no failed build and no question.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import subprocess
import tarfile
import tempfile
from dataclasses import replace
from pathlib import Path

import pytest

from safepip.applying.reuse import Built, built_by_pip, lasting_lines, offer, remember
from safepip.commands import memory as memory_command
from safepip.config import parse_config
from safepip.memory import WHEELS, Store, StoreError, open_store
from safepip.reading.downloads import DownloadsReader
from testing.environ import offline_environ
from testing.runs import copy_project, run_safepip
from testing.venvs import seeded_venv

WHEEL = "flit_missing-1.0-py3-none-any.whl"
SDIST = "flit_missing-1.0.tar.gz"


def _environ(tmp_path: Path, **extra: str) -> dict[str, str]:
    # No configuration file of this machine's pip: the offer reads them for the index.
    return {
        "SAFEPIP_CACHE_DIR": str(tmp_path / "cache"),
        "HOME": str(tmp_path),
        "PIP_CONFIG_FILE": os.devnull,
        **extra,
    }


def _built(tmp_path: Path, sdist_bytes: bytes = b"sdist", *, index: str | None = None) -> Built:
    work = tmp_path / "work"
    work.mkdir(exist_ok=True)
    (work / WHEEL).write_bytes(b"wheel bytes")
    (work / SDIST).write_bytes(sdist_bytes)
    return Built(
        str(work / WHEEL), str(work / SDIST), index, "build it from a patched copy", "kind"
    )


def _links(tmp_path: Path, sdist_bytes: bytes = b"sdist") -> Path:
    folder = tmp_path / "links"
    folder.mkdir(exist_ok=True)
    (folder / SDIST).write_bytes(sdist_bytes)
    return folder


def test_a_kept_wheel_is_private_and_recorded(tmp_path: Path) -> None:
    environ = _environ(tmp_path)
    said = remember(environ, [_built(tmp_path)])
    assert said == [
        (
            f"remembered {WHEEL} for the next install (safepip memory list; "
            "SAFEPIP_NO_MEMORY=1 to not keep it)"
        )
    ]
    store = tmp_path / "cache"
    entries = list((store / WHEELS).iterdir())
    assert len(entries) == 1
    for folder in (store, store / WHEELS, entries[0]):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    for file in entries[0].iterdir():
        assert stat.S_IMODE(file.stat().st_mode) == 0o600
    record = json.loads((entries[0] / "record.json").read_text())
    assert record["distribution"] == "flit-missing"
    assert record["version"] == "1.0"
    assert record["sdist"] == SDIST
    assert len(record["sdist_sha256"]) == 64
    assert record["index"] is None
    assert record["fix"] == "build it from a patched copy"
    # The same wheel of the same sdist again: nothing more is kept.
    assert remember(environ, [_built(tmp_path)]) == []


def test_the_store_is_bounded_oldest_first(tmp_path: Path) -> None:
    environ = _environ(tmp_path)
    with Store(str(tmp_path / "cache"), create=True) as store:
        for number, created in enumerate(["2026-01-03", "2026-01-01", "2026-01-02"]):
            wheel = tmp_path / f"w{number}" / f"pkg{number}-1.0-py3-none-any.whl"
            wheel.parent.mkdir()
            wheel.write_bytes(b"x" * 1000)
            record = {"distribution": f"pkg{number}", "version": "1.0"}
            store.add(str(wheel), {**record, "sdist_sha256": str(number), "created": created})
        assert [entry.name for entry in store.entries()] == ["pkg1", "pkg2", "pkg0"]
        size = store.entries()[0].size
        removed = store.evict(2 * size)
        assert [entry.name for entry in removed] == ["pkg1"]
    store_again = open_store(environ)
    assert store_again is not None
    with store_again:
        assert [entry.name for entry in store_again.entries()] == ["pkg2", "pkg0"]


def test_a_store_others_can_write_is_refused(tmp_path: Path) -> None:
    environ = _environ(tmp_path)
    remember(environ, [_built(tmp_path)])
    (tmp_path / "cache").chmod(0o777)
    with pytest.raises(StoreError, match="writable by other users"):
        Store(str(tmp_path / "cache"), create=False)
    made, note = offer(["install", "-f", str(_links(tmp_path)), "flit-missing"], "/", environ)
    assert made is None
    assert note is not None
    assert "writable by other users" in note
    # Nor is anything kept there.
    assert remember(environ, [_built(tmp_path, b"other")])[0].startswith(
        "could not remember the fixed wheel: the cache folder"
    )


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root")
def test_a_store_another_user_owns_is_refused(tmp_path: Path) -> None:
    environ = _environ(tmp_path)
    remember(environ, [_built(tmp_path)])
    os.chown(tmp_path / "cache" / WHEELS, 64123, 64123)
    with pytest.raises(StoreError, match="belongs to another user"):
        Store(str(tmp_path / "cache"), create=False)


def test_the_same_local_sdist_is_offered_its_wheel(tmp_path: Path) -> None:
    environ = _environ(tmp_path)
    remember(environ, [_built(tmp_path)])
    links = _links(tmp_path)
    made, note = offer(["install", "--find-links", str(links), "flit-missing"], "/", environ)
    assert note is None
    assert made is not None
    try:
        assert made.args == ["--find-links", made.folder]
        assert [path.name for path in Path(made.folder).iterdir()] == [WHEEL]
        # pip's line for a wheel it took from the folder: the entry is seen as used.
        made.feed_line("stdout", f"Processing {made.folder}/other-1.0-py3-none-any.whl")
        made.feed_line("stdout", f"Processing {tmp_path}/{WHEEL}")
        assert made.seen == []
        made.feed_line("stdout", f"Processing {made.folder}/{WHEEL}")
        assert [entry.name for entry in made.seen] == ["flit-missing"]
    finally:
        made.cleanup()
    assert not Path(made.folder).exists()


def test_pips_line_relative_to_its_folder_is_read(tmp_path: Path) -> None:
    """pip shows a path under its working folder relative to it: ``Processing ./x/y.whl``."""
    environ = _environ(tmp_path)
    remember(environ, [_built(tmp_path)])
    links = _links(tmp_path)
    made, _ = offer(["install", "-f", str(links), "flit-missing"], tempfile.gettempdir(), environ)
    assert made is not None
    try:
        made.feed_line("stdout", f"Processing ./{Path(made.folder).name}/{WHEEL}")
        assert [entry.name for entry in made.seen] == ["flit-missing"]
    finally:
        made.cleanup()
    assert not Path(made.folder).exists()


def test_an_sdist_file_the_command_names_is_replaced_by_its_wheel(tmp_path: Path) -> None:
    environ = _environ(tmp_path)
    remember(environ, [_built(tmp_path)])
    sdist = _links(tmp_path) / SDIST
    made, _ = offer(["install", f"links/{SDIST}"], str(tmp_path), environ)
    assert made is not None
    try:
        assert made.replaced == {f"links/{SDIST}": str(Path(made.folder, WHEEL))}
    finally:
        made.cleanup()
    assert sdist.exists()


def test_another_sdist_of_the_same_version_is_not_offered(tmp_path: Path) -> None:
    environ = _environ(tmp_path)
    remember(environ, [_built(tmp_path, b"sdist")])
    links = _links(tmp_path, b"an sdist with other bytes")
    made, note = offer(["install", "-f", str(links), "flit-missing"], "/", environ)
    assert (made, note) == (None, None)


def test_an_index_entry_is_offered_for_the_same_index_only(tmp_path: Path) -> None:
    environ = _environ(tmp_path)
    remember(environ, [_built(tmp_path, index="https://pypi.org/simple")])
    made, _ = offer(["install", "flit-missing"], "/", environ)
    assert made is not None
    made.cleanup()
    for args in (
        ["install", "-i", "https://mirror.example/simple", "flit-missing"],
        ["install", "--no-index", "flit-missing"],
    ):
        assert offer(args, "/", environ) == (None, None)
    assert offer(["install", "flit-missing"], "/", {**environ, "PIP_NO_INDEX": "1"})[0] is None


CORP = "https://corp.example/simple"


@pytest.mark.parametrize(
    ("where", "text", "offered"),
    [
        pytest.param("env", f"[global]\nindex-url = {CORP}\n", False, id="global"),
        pytest.param("env", f"[install]\nindex_url = {CORP}\n", False, id="install-section"),
        pytest.param("env", f"[wheel]\nindex-url = {CORP}\n", True, id="other-command"),
        pytest.param("env", "[global]\nno-index = true\n", False, id="no-index"),
        pytest.param("user", f"[global]\nindex-url = {CORP}\n", False, id="user-file"),
        pytest.param("site", f"[global]\nindex-url = {CORP}\n", False, id="venv-file"),
        pytest.param(
            "env",
            f"[install]\nindex-url = https://pypi.org/simple\n[global]\nindex-url = {CORP}\n",
            True,
            id="install-over-global",
        ),
    ],
)  # fmt: skip
def test_the_index_in_pips_configuration_files_keys_the_offer(
    tmp_path: Path, where: str, text: str, offered: bool
) -> None:
    """An entry fixed from PyPI is not offered to a command whose pip.conf names another index
    (a company index, say): pip reads its configuration files as safepip must."""
    environ = _environ(tmp_path)
    remember(environ, [_built(tmp_path, index="https://pypi.org/simple")])
    config = {
        "env": tmp_path / "env.conf",
        "user": tmp_path / ".config" / "pip" / "pip.conf",
        "site": tmp_path / "venv" / "pip.conf",
    }[where]
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(text)
    if where == "env":
        environ["PIP_CONFIG_FILE"] = str(config)
    else:
        del environ["PIP_CONFIG_FILE"]
        environ["XDG_CONFIG_HOME"] = str(tmp_path / ".config")
    made, _ = offer(["install", "flit-missing"], "/", environ, prefix=str(tmp_path / "venv"))
    assert (made is not None) == offered
    if made is not None:
        made.cleanup()
    # The command line and PIP_INDEX_URL say more than any file.
    again, _ = offer(
        ["install", "flit-missing"], "/", {**environ, "PIP_INDEX_URL": "https://pypi.org/simple"},
        prefix=str(tmp_path / "venv"),
    )  # fmt: skip
    assert (again is not None) == ("no-index" not in text)
    if again is not None:
        again.cleanup()


def test_an_index_with_credentials_is_matched_masked(tmp_path: Path) -> None:
    environ = _environ(tmp_path)
    # The fixer records the index masked (applying/fixer.py): so is the command's, to compare.
    remember(environ, [_built(tmp_path, index="https://user:****@idx.example/simple")])
    args = ["install", "-i", "https://user:secret@idx.example/simple", "flit-missing"]
    made, _ = offer(args, "/", environ)
    assert made is not None
    made.cleanup()
    for path in (tmp_path / "cache").rglob("*"):
        assert path.is_dir() or b"secret" not in path.read_bytes()


@pytest.mark.parametrize(
    ("args", "extra"),
    [
        pytest.param(["--no-cache-dir"], {}, id="no-cache-dir"),
        pytest.param([], {"PIP_NO_CACHE_DIR": "1"}, id="PIP_NO_CACHE_DIR"),
        pytest.param([], {"SAFEPIP_NO_MEMORY": "1"}, id="SAFEPIP_NO_MEMORY"),
    ],
)
def test_nothing_is_offered_or_kept_when_the_user_says_so(
    args: list[str], extra: dict[str, str], tmp_path: Path
) -> None:
    environ = _environ(tmp_path)
    remember(environ, [_built(tmp_path)])
    links = _links(tmp_path)
    command = ["install", *args, "-f", str(links), "flit-missing"]
    assert offer(command, "/", {**environ, **extra}) == (None, None)
    assert remember({**environ, **extra}, [_built(tmp_path, b"new")], pip_args=args) == []


def test_a_memory_flag_that_is_no_boolean_is_an_error(tmp_path: Path) -> None:
    from safepip.errors import SafepipError

    with pytest.raises(SafepipError, match="SAFEPIP_NO_MEMORY must be 1 or 0"):
        offer(["install", "x"], "/", _environ(tmp_path, SAFEPIP_NO_MEMORY="maybe"))
    assert offer(["install", "x"], "/", _environ(tmp_path, SAFEPIP_NO_MEMORY="0")) == (None, None)


def test_memory_false_in_the_configuration(tmp_path: Path) -> None:
    config = parse_config(b"[options]\nmemory = false\n", str(tmp_path / "config.toml"))
    assert config.memory is False
    environ = _environ(tmp_path)
    remember(environ, [_built(tmp_path)])
    links = _links(tmp_path)
    command = ["install", "-f", str(links), "flit-missing"]
    assert offer(command, "/", environ, configured=config.memory) == (None, None)
    assert remember(environ, [_built(tmp_path, b"new")], configured=False) == []


def test_config_show_says_whether_the_memory_is_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from safepip.commands import config_show

    path = tmp_path / "config.toml"
    path.write_text("[options]\nmemory = false\n")
    monkeypatch.setenv("SAFEPIP_CONFIG", str(path))
    monkeypatch.delenv("SAFEPIP_NO_MEMORY", raising=False)
    assert config_show.run(["--json"]) == 0
    memory = json.loads(capsys.readouterr().out)["effective_options"]["memory"]
    assert memory["value"] is False
    assert config_show.run([]) == 0
    assert any(line.startswith("memory = false") for line in capsys.readouterr().out.splitlines())


def test_require_hashes_is_not_offered_and_says_why(tmp_path: Path) -> None:
    environ = _environ(tmp_path)
    remember(environ, [_built(tmp_path)])
    links = _links(tmp_path)
    made, note = offer(
        ["install", "--require-hashes", "-f", str(links), "flit-missing"], "/", environ
    )
    assert made is None
    assert note is not None
    assert note.startswith("not offering the remembered fixed wheel of flit-missing 1.0")


def test_no_binary_gets_the_wheel_as_a_constraint(tmp_path: Path) -> None:
    environ = _environ(tmp_path)
    remember(environ, [_built(tmp_path)])
    links = _links(tmp_path)
    command = ["install", "--no-binary", "flit-missing", "-f", str(links), "flit-missing"]
    made, _ = offer(command, "/", environ)
    assert made is not None
    try:
        assert made.args[:2] == ["--find-links", made.folder]
        assert made.args[2] == "-c"
        pins = Path(made.args[3]).read_text().splitlines()
        assert pins == [f"flit-missing @ {Path(made.folder, WHEEL).as_uri()}"]
    finally:
        made.cleanup()


def test_the_memory_command_lists_shows_and_removes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    environ = _environ(tmp_path)
    for key, value in environ.items():
        monkeypatch.setenv(key, value)
    assert memory_command.run([]) == 0
    assert capsys.readouterr().out.startswith("nothing remembered")
    remember(environ, [_built(tmp_path)])
    assert memory_command.run(["list"]) == 0
    listed = capsys.readouterr().out.splitlines()
    assert listed[0].startswith(f"flit-missing 1.0  {WHEEL}  ")
    assert "fix: build it from a patched copy" in listed[0]
    assert listed[1].startswith("1 wheel(s), ")
    assert memory_command.run(["show", "Flit_Missing", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["sdist"] == SDIST
    assert memory_command.run(["remove", "other"]) == 1
    assert memory_command.run(["remove", "flit-missing"]) == 0
    assert capsys.readouterr().out == f"removed {WHEEL}\n"
    assert memory_command.run(["list", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == []


# --- end to end -------------------------------------------------------------------------------


def _make_sdist(project: Path, folder: Path, name: str = "flit-missing") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    base = f"{name.replace('-', '_')}-1.0"
    (project / "PKG-INFO").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n")
    sdist = folder / f"{base}.tar.gz"
    with tarfile.open(sdist, "w:gz") as archive:
        archive.add(project, arcname=base)
    return sdist


@pytest.mark.slow
def test_an_sdist_fixed_once_installs_in_a_second_venv_with_one_pip_run(
    tmp_path: Path, wheelhouse: Path
) -> None:
    project = copy_project("flit-missing", tmp_path)
    links = tmp_path / "links"
    _make_sdist(project, links)
    args = ["install", "--find-links", str(links), "flit-missing"]

    def environ(venv: str, **extra: str) -> dict[str, str]:
        python = seeded_venv(tmp_path / venv)
        values = offline_environ(wheelhouse, python, SAFEPIP_CACHE_DIR=str(tmp_path / "c"))
        values.pop("SAFEPIP_NO_MEMORY")
        return {**values, **extra}

    first = run_safepip(["--yes", *args], environ("one"), cwd=tmp_path)
    assert first.status == 0, first.err
    assert f"safepip: remembered {WHEEL} for the next install" in first.err
    # A user who controls the requirement learns how to make the fix lasting beyond the store.
    assert (
        "safepip: to make the fix of flit-missing lasting: [extra-build-dependencies] "
        'flit-missing = ["flit_core>=3.2"] in '
    ) in first.err

    # A second fresh venv, no --yes and nobody to ask: one pip run, no build, no question.
    report = tmp_path / "report.json"
    second_environ = environ("two", CI="true")
    second = run_safepip(["--report", str(report), *args], second_environ, cwd=tmp_path)
    assert second.status == 0, second.err
    reused = (
        "safepip: reused the remembered fixed wheel of flit-missing 1.0 (fixed by: add "
        '"flit_core>=3.2" to [build-system] requires in its pyproject.toml; made '
    )
    assert reused in second.err
    assert "could not be built" not in second.err
    recorded = json.loads(report.read_text())
    assert len(recorded["runs"]) == 1
    assert recorded["reused"][0]["sdist"] == SDIST
    check = subprocess.run(
        [second_environ["SAFEPIP_PYTHON"], "-c", "import flit_missing"],
        env=second_environ, check=False,
    )  # fmt: skip
    assert check.returncode == 0

    # --no-binary: the wheel is still the fix the user agreed to; without a report (pip runs
    # first, read only if it fails), the line is said all the same.
    third = run_safepip(
        ["install", "--no-binary", "flit-missing", *args[1:]], environ("three"), cwd=tmp_path
    )
    assert third.status == 0, third.err
    assert "safepip: reused the remembered fixed wheel of flit-missing 1.0" in third.err

    # Forgotten: pip builds again and fails, as it did the first time.
    listed = run_safepip(["memory", "remove", "flit-missing"], environ("four"), cwd=tmp_path)
    assert listed.status == 0, listed.err
    fourth = run_safepip(args, environ("five", CI="true"), cwd=tmp_path)
    assert fourth.status != 0
    assert "reused" not in fourth.err


@pytest.mark.slow
def test_a_cap_fixed_once_installs_in_a_second_venv_with_one_pip_run(
    tmp_path: Path, wheelhouse: Path
) -> None:
    """A fix that patched nothing (the build constraint ``setuptools<82`` for a setup.py-only
    sdist importing pkg_resources): the wheel pip built under it is remembered from pip's own
    lines, and a second venv with a fresh pip cache (a CI job that restored only safepip's
    store) installs it with one pip run and no question."""
    project = copy_project("legacy-pkg-resources", tmp_path)
    links = tmp_path / "links"
    sdist = _make_sdist(project, links, "legacy-pkg-resources")
    args = ["install", "--find-links", str(links), "legacy-pkg-resources"]

    def environ(venv: str, **extra: str) -> dict[str, str]:
        python = seeded_venv(tmp_path / venv)
        values = offline_environ(
            wheelhouse,
            python,
            SAFEPIP_CACHE_DIR=str(tmp_path / "c"),
            PIP_CACHE_DIR=str(tmp_path / f"pip-cache-{venv}"),
        )
        values.pop("SAFEPIP_NO_MEMORY")
        return {**values, **extra}

    first_environ = environ("one")
    first = run_safepip(["--yes", *args], first_environ, cwd=tmp_path)
    assert first.status == 0, first.err
    assert "safepip: remembered legacy_pkg_resources-1.0-py3-none-any.whl" in first.err
    assert (
        "safepip: to make the fix of legacy-pkg-resources lasting: the build constraint "
        '"setuptools<82" given to pip wherever it builds legacy-pkg-resources'
    ) in first.err
    listed = run_safepip(["memory", "list", "--json"], first_environ, cwd=tmp_path)
    [entry] = json.loads(listed.stdout)
    assert entry["kind"] == "build-constraint"
    assert entry["fix"] == 'the build constraint "setuptools<82"'
    assert entry["index"] is None
    assert entry["sdist"] == sdist.name

    report = tmp_path / "report.json"
    second_environ = environ("two", CI="true")
    second = run_safepip(["--report", str(report), *args], second_environ, cwd=tmp_path)
    assert second.status == 0, second.err
    assert "safepip: reused the remembered fixed wheel of legacy-pkg-resources 1.0" in second.err
    assert len(json.loads(report.read_text())["runs"]) == 1
    check = subprocess.run(
        [second_environ["SAFEPIP_PYTHON"], "-c", "import legacy_pkg_resources"],
        env=second_environ, check=False,
    )  # fmt: skip
    assert check.returncode == 0


def test_pips_built_wheel_is_read_from_its_own_lines_only() -> None:
    """``Created wheel for`` + ``Stored in directory`` at pip's indentation; the same words
    inside a build's captured output are the build's, not pip's."""
    reader = DownloadsReader()
    lines = [
        "  error: subprocess-exited-with-error",
        "  ╰─> [2 lines of output]",
        "      Created wheel for evil: filename=evil-1.0-py3-none-any.whl size=1 sha256="
        + "a" * 64,
        "      Stored in directory: /tmp/planted",
        "      [end of output]",
        "  Created wheel for Legacy_Pkg: filename=legacy_pkg-1.0-py3-none-any.whl size=9 sha256="
        + "b" * 64,
        "  Stored in directory: /home/me/.cache/pip/wheels/d7/f0",
        "  Created wheel for other: filename=../other.whl size=9 sha256=" + "c" * 64,
        "  Stored in directory: /elsewhere",
    ]
    for line in lines:
        reader.feed_line("stdout", line)
    assert reader.built == {
        "legacy-pkg": ("/home/me/.cache/pip/wheels/d7/f0/legacy_pkg-1.0-py3-none-any.whl", "b" * 64)
    }


def test_a_wheel_pip_built_is_remembered_only_as_pip_described_it(tmp_path: Path) -> None:
    wheel = tmp_path / "pipcache" / "legacy_pkg-1.0-py3-none-any.whl"
    wheel.parent.mkdir()
    wheel.write_bytes(b"wheel")
    digest = hashlib.sha256(b"wheel").hexdigest()
    links = tmp_path / "links"
    links.mkdir()
    (links / "legacy_pkg-1.0.tar.gz").write_bytes(b"sdist")
    common = {"fix": "cap", "kind": "build-constraint", "cwd": str(tmp_path), "environ": {}}
    local = ["install", "-f", str(links), "legacy-pkg"]

    found = built_by_pip("legacy-pkg", (str(wheel), digest), pip_args=local, fetched={}, **common)
    assert found is not None
    assert (found.sdist, found.index) == (str(links / "legacy_pkg-1.0.tar.gz"), None)
    # Another file than pip built, or none any more (an ephemeral cache): nothing.
    assert (
        built_by_pip("legacy-pkg", (str(wheel), "0" * 64), pip_args=local, fetched={}, **common)
        is None
    )
    assert (
        built_by_pip(
            "legacy-pkg", (str(tmp_path / "gone.whl"), digest), pip_args=local, fetched={}, **common
        )
        is None
    )
    # From PyPI (pip prints the bare file name), keyed by the command's index.
    named = ["install", "legacy-pkg"]
    pypi = built_by_pip(
        "legacy-pkg", (str(wheel), digest), pip_args=named,
        fetched={"legacy-pkg": "legacy_pkg-1.0.tar.gz"}, **common,
    )  # fmt: skip
    assert pypi is not None
    assert (pypi.sdist, pypi.index, pypi.sdist_sha256) == (
        "legacy_pkg-1.0.tar.gz",
        "https://pypi.org/simple",
        "",
    )
    # A file from another host than the command's index (an extra index): not keyed by it.
    other = built_by_pip(
        "legacy-pkg", (str(wheel), digest), pip_args=named,
        fetched={"legacy-pkg": "https://extra.example/files/legacy_pkg-1.0.tar.gz"}, **common,
    )  # fmt: skip
    assert other is None


@pytest.mark.slow
def test_a_wheel_for_another_platform_is_left_to_pips_tags(
    tmp_path: Path, wheelhouse: Path
) -> None:
    """The offer pins nothing: a remembered wheel whose tags this Python does not take (another
    Python, another platform) is passed over by pip, which builds the sdist as it would, and
    safepip says nothing was reused."""
    project = copy_project("flit-missing", tmp_path)
    links = tmp_path / "links"
    sdist = _make_sdist(project, links)
    work = tmp_path / "work"
    work.mkdir()
    wheel = work / "flit_missing-1.0-cp27-cp27mu-manylinux1_x86_64.whl"
    wheel.write_bytes(b"not for this Python")
    environ = offline_environ(
        wheelhouse, seeded_venv(tmp_path / "venv"), SAFEPIP_CACHE_DIR=str(tmp_path / "c"), CI="true"
    )
    environ.pop("SAFEPIP_NO_MEMORY")
    said = remember(environ, [Built(str(wheel), str(sdist), None, "a fix", "patched-sdist")])
    [line] = said
    assert line.startswith("remembered flit_missing-1.0-cp27")
    result = run_safepip(
        ["install", "--find-links", str(links), "flit-missing"], environ, cwd=tmp_path
    )
    assert result.status != 0
    assert "Processing ./links/flit_missing-1.0.tar.gz" in result.stdout.decode()
    assert "reused" not in result.err


def test_the_lasting_line_names_every_part_of_the_fix(tmp_path: Path) -> None:
    """toprammer 0.19 took a cap and an added requirement: both are said, and the upstream fix."""
    both = Built(
        "w",
        "s",
        None,
        "f",
        "patched-sdist",
        requirements=("pyusb",),
        constraints=("setuptools<82",),
    )
    environ = _environ(tmp_path, SAFEPIP_CONFIG=str(tmp_path / "config.toml"))
    [line] = lasting_lines([replace(both, wheel="toprammer-0.19-py3-none-any.whl")], environ)
    assert line == (
        "to make the fix of toprammer lasting: [extra-build-dependencies] toprammer = "
        f'["pyusb"] in {tmp_path / "config.toml"} (safepip then adds them without asking, '
        "on any machine); and "
        'the build constraint "setuptools<82" given to pip wherever it builds toprammer '
        "(--build-constraint FILE on pip 25.3 and later, PIP_CONSTRAINT before); for everyone, "
        "toprammer's [build-system] needs the change (its maintainers' fix)"
    )
