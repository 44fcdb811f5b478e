"""No side effects pip would not have (issue 18): nothing is changed for ``--dry-run`` or when pip
refuses to run the command, and a retry keeps the user's own constraints, from the command line,
``PIP_CONSTRAINT`` and pip's configuration files alike.

Real pip in real venvs, a real fixture project and a real pip configuration file; the pure part
(what pip makes of a command, asked of its own parser) is checked against the same pip.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from safepip.applying.rerun import Rerun
from safepip.deciding.pipsettings import read_pip_settings
from testing.environ import offline_environ, scrubbed_environ
from testing.runs import copy_project, run_safepip, tree
from testing.venvs import seeded_venv
from testing.wheels import build_wheel

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return seeded_venv(tmp_path_factory.mktemp("side-effects") / "venv")


def base_python() -> Path:
    """An interpreter outside any virtual environment, with pip (skip when there is none)."""
    folder = Path(sys.base_prefix) / ("Scripts" if os.name == "nt" else "bin")
    python = folder / ("python.exe" if os.name == "nt" else "python3")
    probe = [str(python), "-m", "pip", "--version"]
    if not python.exists() or subprocess.run(probe, capture_output=True, check=False).returncode:
        pytest.skip("no interpreter outside a virtual environment with pip")
    return python


@pytest.mark.parametrize(
    "words",
    [
        pytest.param(["install", "--dry-run", "./flit-missing"], id="install-dry-run"),
        pytest.param(["install", "./flit-missing"], id="install-PIP_DRY_RUN"),
    ],
)
def test_dry_run_changes_nothing_and_says_so(
    venv: Path, wheelhouse: Path, tmp_path: Path, words: list[str]
) -> None:
    """``SAFEPIP_YES=1 pip install --dry-run .``: the fix is explained, one line says nothing
    changed, and the project is byte for byte as it was (no patch, no backup)."""
    copy_project("flit-missing", tmp_path)
    before = tree(tmp_path)
    extra = {"SAFEPIP_YES": "1", **({} if "--dry-run" in words else {"PIP_DRY_RUN": "1"})}
    run = run_safepip(words, offline_environ(wheelhouse, venv, **extra), cwd=tmp_path)
    assert tree(tmp_path) == before, run.err
    said = [line for line in run.own_lines() if "--dry-run: nothing changed" in line]
    line = "--dry-run: nothing changed; without --dry-run safepip would apply this fix before"
    assert said == [f"safepip: {line} running pip"], run.err
    assert 'proposed fix: add "flit_core>=3.2"' in run.err


@pytest.mark.parametrize(
    ("words", "extra", "status"),
    [
        pytest.param(["install", "./flit-missing"], {"PIP_REQUIRE_VIRTUALENV": "1"}, 3,
                     id="PIP_REQUIRE_VIRTUALENV"),
        pytest.param(["install", "--require-virtualenv", "./flit-missing"], {}, 3,
                     id="--require-virtualenv"),
        pytest.param(["wheel", "--dry-run", "./flit-missing"], {}, 2, id="wheel-rejects-dry-run"),
    ],
)  # fmt: skip
def test_a_command_pip_refuses_changes_nothing(
    wheelhouse: Path, tmp_path: Path, words: list[str], extra: dict[str, str], status: int
) -> None:
    """pip refuses the command before doing anything (outside a virtual environment with
    require-virtualenv: status 3; an option the command does not have: status 2): the
    pre-flight writes nothing either, and pip's status stands."""
    python = base_python()
    copy_project("flit-missing", tmp_path)
    before = tree(tmp_path)
    environ = offline_environ(wheelhouse, python, SAFEPIP_YES="1", **extra)
    run = run_safepip(words, environ, cwd=tmp_path)
    assert run.status == status, run.err
    assert tree(tmp_path) == before, run.err
    assert "proposed fix" not in run.err


def test_what_pip_makes_of_a_command(venv: Path, tmp_path: Path) -> None:
    """The pure part, against the real pip: its parser's answer for each source of a setting."""
    config = tmp_path / "pip.conf"
    config.write_text("[global]\nconstraint = from-global.txt\n[install]\ndry-run = true\n")
    environ = scrubbed_environ({"PIP_CONFIG_FILE": str(config)})
    settings = read_pip_settings(str(venv), ["install", "-c", "cli.txt", "."], environ=environ)
    assert settings.error is None
    assert settings.dry_run  # from [install] of the configuration file
    assert settings.constraints == ("from-global.txt",)  # -c is the command line's, not here
    environ["PIP_CONSTRAINT"] = "a.txt b.txt"  # a variable replaces the file's value in pip
    settings = read_pip_settings(str(venv), ["-v", "install", "."], environ=environ)
    assert settings.constraints == ("a.txt", "b.txt")
    isolated = read_pip_settings(str(venv), ["--isolated", "install", "."], environ=environ)
    assert isolated.constraints == ("from-global.txt",)  # --isolated: no PIP_* variables
    assert read_pip_settings(str(venv), ["wheel", "--dry-run", "."], environ=environ).refusal


def _six_pinned_by_configuration(tmp_path: Path, section: str) -> tuple[Path, Path]:
    """A find-links folder with six 1.15.0 and 1.17.0, and a pip configuration file whose
    ``[section]`` pins six==1.15.0 through ``constraint = FILE``: (the folder, the file)."""
    links = tmp_path / "links"
    links.mkdir()
    for version in ("1.15.0", "1.17.0"):
        build_wheel(links, "six", version)
    pins = tmp_path / "pins.txt"
    pins.write_text("six==1.15.0\n")
    config = tmp_path / "pip.conf"
    config.write_text(f"[{section}]\nconstraint = {pins}\n")
    return links, config


def _six_version(python: Path) -> str:
    return subprocess.run(
        [str(python), "-c", "import six; print(six.VERSION)"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


def test_a_retry_keeps_the_constraints_of_pips_configuration_file(
    venv: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On a pip without --build-constraint, safepip's cap goes in PIP_CONSTRAINT, which replaces
    ``constraint = FILE`` of pip's configuration file in pip's eyes: the retry's PIP_CONSTRAINT
    holds the user's file too, and real pip then installs the version it pins."""
    links, config = _six_pinned_by_configuration(tmp_path, "install")
    environ = scrubbed_environ({"PIP_CONFIG_FILE": str(config)})
    args = ["install", "--no-index", "--find-links", str(links), "six"]
    rerun = Rerun(
        args,
        cwd=str(tmp_path),
        user_unisolated=False,
        pip_version=lambda: (25, 2),  # a pip that takes the cap through PIP_CONSTRAINT
        user_constraints=lambda: list(
            read_pip_settings(str(venv), args, environ=environ).constraints
        ),
    )
    monkeypatch.setattr(os, "environ", environ)  # the user's, as safepip reads it
    try:
        rerun.add_constraint("setuptools<82")
        retry = rerun.env()
        assert retry is not None
        subprocess.run([str(venv), "-m", "pip", "install", "-q", *args[1:]], env=retry, check=True)
    finally:
        rerun.cleanup()
    version = _six_version(venv)
    assert version == "1.15.0"


def test_a_real_retry_with_a_cap_keeps_the_configured_pin(
    venv: Path, wheelhouse: Path, tmp_path: Path
) -> None:
    """End to end, the issue's case: pip's configuration file pins six==1.15.0; the command
    needs a cap (setuptools<82, through PIP_CONSTRAINT on this venv's pip, or
    --build-constraint on 25.3+) and installs six. The retry installs the pinned six."""
    links, config = _six_pinned_by_configuration(tmp_path, "global")
    # The project needing the cap as an sdist on the find-links folder: not the user's, so the
    # fix is a build constraint (a named project of theirs would get its pyproject.toml patched).
    source = copy_project("legacy-pkg-resources", tmp_path / "src")
    (source / "PKG-INFO").write_text("Metadata-Version: 2.1\nName: legacy-pkg-resources\n")
    with tarfile.open(links / "legacy_pkg_resources-1.0.tar.gz", "w:gz") as sdist:
        sdist.add(source, arcname="legacy_pkg_resources-1.0")
    environ = offline_environ(wheelhouse, venv, PIP_CONFIG_FILE=str(config), SAFEPIP_YES="1")
    # --use-pep517: the isolated build this case is about, also on pips before 23.1, which
    # install a setup.py-only sdist with `setup.py install` when wheel is not installed.
    args = ["install", "--use-pep517", "--find-links", str(links), "legacy-pkg-resources", "six"]
    run = run_safepip(args, environ, cwd=tmp_path)
    assert run.status == 0, run.err
    assert "running pip again" in run.err
    version = _six_version(venv)
    assert version == "1.15.0", run.err


def test_on_pip_25_3_the_users_build_constraints_stay_beside_safepips(
    wheelhouse: Path, tmp_path: Path
) -> None:
    """pip 25.3+: safepip's cap goes in --build-constraint on the command line, where pip adds it
    to the user's own (the command line's, PIP_BUILD_CONSTRAINT, the configuration files'):
    pip's parser, given the retry's command line and environment, keeps all of them."""
    python = seeded_venv(tmp_path / "venv")
    upgrade = [str(python), "-m", "pip", "install", "-q", "--upgrade", "pip>=25.3"]
    subprocess.run(upgrade, env=offline_environ(wheelhouse, python), check=True)
    config = tmp_path / "pip.conf"
    config.write_text("[install]\nbuild-constraint = from-config.txt\n")
    args = ["install", "--build-constraint", "from-cli.txt", "pkg"]
    rerun = Rerun(args, cwd=str(tmp_path), user_unisolated=False, pip_version=lambda: (25, 3))
    try:
        rerun.add_constraint("setuptools<82")
        retry = rerun.args()
        assert rerun.env() is None  # no PIP_CONSTRAINT: nothing of the user's is replaced
        ours = retry[retry.index("--build-constraint", 2) + 1]
        parse = (
            "import sys; from pip._internal.commands import create_command; "
            "print(create_command('install').parse_args(sys.argv[2:])[0].build_constraints)"
        )
        for environ, theirs in (
            ({"PIP_CONFIG_FILE": str(config)}, "from-config.txt"),
            ({"PIP_BUILD_CONSTRAINT": "from-env.txt"}, "from-env.txt"),
        ):
            seen = subprocess.run(
                [str(python), "-c", parse, *retry],
                env=scrubbed_environ(environ),
                capture_output=True,
                text=True,
                check=True,
            ).stdout
            assert seen.strip() == repr([theirs, "from-cli.txt", ours])
    finally:
        rerun.cleanup()
