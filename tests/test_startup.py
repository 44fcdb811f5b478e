"""The start-up rule, enforced here and only here (docs/architecture.md).

A command that never builds (``list``, ``show``, ``freeze``, ``uninstall``, ``--version``...) is
handed to pip by ``os.execv`` at once: on that path safepip imports none of the modules below,
whose import costs milliseconds on every such command. Everywhere else (the build path, the own
commands) the code is ordinary Python. The overhead itself is measured by scripts/bench.py.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from testing.environ import clean_environ

#: What the pass-through path must not import.
HEAVY = frozenset(
    {"typing", "pathlib", "dataclasses", "subprocess", "re", "tomlkit", "packaging", "pexpect"}
)

# The child runs safepip's entry point up to the hand-over, with os.execv replaced by a probe
# that reports the modules loaded then (and what would have run) and ends the process.
# Only the modules safepip added count: the interpreter's own start-up is not safepip's.
CHILD = """
import os, sys
before = set(sys.modules)

def probe(path, argv):
    loaded = sorted(set(sys.modules) - before)
    line = '{"loaded": [%s], "argv": [%s]}\\n' % (
        ", ".join('"%s"' % name for name in loaded),
        ", ".join('"%s"' % arg for arg in argv),
    )
    os.write(1, line.encode())
    os._exit(0)

os.execv = probe
from safepip.main import main
main(sys.argv[1:])
os.write(1, b"no hand-over\\n")
"""

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="Windows has no hand-over (exec)")


def _fake_pip(folder: Path) -> Path:
    """A `pip` on PATH, for the shell's `pip` (SAFEPIP_INVOKED_AS): never run, only found."""
    folder.mkdir()
    pip = folder / "pip"
    pip.write_text(f"#!{sys.executable}\nraise SystemExit(0)\n")
    pip.chmod(0o755)
    return pip


@pytest.mark.parametrize(
    ("args", "invoked_as"),
    [
        pytest.param(["list"], None, id="list"),
        pytest.param(["--version"], None, id="pip-version"),
        pytest.param(["-q", "show", "pip"], None, id="show-with-global-option"),
        pytest.param(["uninstall", "-y", "nothing"], None, id="uninstall"),
        pytest.param(["freeze"], "pip", id="freeze-as-pip-from-the-shell"),
    ],
)
def test_pass_through_imports_nothing_heavy(
    args: list[str], invoked_as: str | None, tmp_path: Path
) -> None:
    environ = clean_environ()
    if invoked_as is not None:
        pip = _fake_pip(tmp_path / "bin")
        environ["PATH"] = f"{pip.parent}:{environ.get('PATH', '')}"
        environ["SAFEPIP_INVOKED_AS"] = invoked_as
    result = subprocess.run(
        [sys.executable, "-c", CHILD, *args],
        env=environ,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["argv"][-len(args) :] == args  # pip got the command, unchanged
    loaded = set(report["loaded"])
    assert "safepip.main" in loaded  # the probe saw safepip's imports
    heavy = {name for name in loaded if name.split(".")[0] in HEAVY}
    assert not heavy, f"the pass-through path imported {sorted(heavy)}"


#: What a building command that needs no fix may import of safepip: the relay and the spool that
#: keeps pip's lines to read them if pip fails (docs/architecture.md, "Read only when pip fails").
#: Nothing of the reading, deciding or applying machinery, nor the session or the configuration;
#: of the store of fixed wheels only the ``stat`` that finds it empty (safepip.memory).
BUILDING_NO_FIX = frozenset(
    {
        "safepip",
        "safepip.building",
        "safepip.errors",
        "safepip.fixmode",
        "safepip.folders",
        "safepip.main",
        "safepip.memory",
        "safepip.options",
        "safepip.places",
        "safepip.reading",
        "safepip.reading.consumer",
        "safepip.reading.lines",
        "safepip.reading.spool",
        "safepip.running",
        "safepip.running.pipes",
        "safepip.running.relay",
        "safepip.target",
    }
)

BUILDING_CHILD = """
import os, sys
from safepip.main import main
try:
    main(sys.argv[1:])
except SystemExit as exc:
    status = exc.code
else:
    status = 0
os.write(1, ("\\nREPORT %s %s\\n" % (status, " ".join(sorted(sys.modules)))).encode())
"""


@pytest.mark.every_python  # which modules load differs between Pythons
@pytest.mark.slow  # a real pip install
def test_an_install_that_needs_no_fix_loads_no_fixing_machinery(tmp_path: Path) -> None:
    """`install` of something already there: pip runs under watch, and nothing is fixed; as
    cheap as the pass-through path (the same heavy modules stay out) plus the relay."""
    environ = clean_environ()
    environ["SAFEPIP_PYTHON"] = sys.executable  # the test venv, which has pytest already
    environ["XDG_CONFIG_HOME"] = str(tmp_path)  # no configuration file: nothing to read first
    environ.pop("SAFEPIP_CONFIG", None)
    # The store of fixed wheels is on, and empty: looking costs one stat and no import.
    environ.pop("SAFEPIP_NO_MEMORY", None)
    environ["SAFEPIP_CACHE_DIR"] = str(tmp_path / "cache")
    result = subprocess.run(
        [sys.executable, "-c", BUILDING_CHILD, "install", "--no-index", "--no-deps", "pytest"],
        env=environ,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert "Requirement already satisfied: pytest" in result.stdout, result.stderr
    report = result.stdout.rsplit("\nREPORT ", 1)[-1].split()
    assert report[0] == "0", result.stderr
    loaded = set(report[1:])
    not_here = HEAVY | {"urllib", "json", "contextlib"}
    heavy = {name for name in loaded if name.split(".")[0] in not_here}
    assert not heavy, f"an install that needed no fix imported {sorted(heavy)}"
    own = {name for name in loaded if name.split(".")[0] == "safepip"}
    assert "safepip.reading.spool" in own  # the probe saw the building path
    assert own <= BUILDING_NO_FIX, (
        f"an install that needed no fix imported {sorted(own - BUILDING_NO_FIX)}"
    )


@pytest.mark.every_python  # which modules load differs between Pythons
@pytest.mark.slow  # a real pip install
def test_with_a_configuration_file_the_install_still_reads_nothing(tmp_path: Path) -> None:
    """A configuration file (here one that names a mapping and preapproves a fix) is read before
    pip runs, and asks for nothing to happen first: the session is still not loaded."""
    (tmp_path / "safepip").mkdir()
    (tmp_path / "safepip" / "config.toml").write_text(
        '[extra-build-dependencies]\nwidget = ["numpy"]\n\n[mapping]\nfoo = "foo-dist"\n'
    )
    environ = clean_environ()
    environ["SAFEPIP_PYTHON"] = sys.executable
    environ["XDG_CONFIG_HOME"] = str(tmp_path)
    environ.pop("SAFEPIP_CONFIG", None)
    result = subprocess.run(
        [sys.executable, "-c", BUILDING_CHILD, "install", "--no-index", "--no-deps", "pytest"],
        env=environ, capture_output=True, text=True, check=False, timeout=120,
    )  # fmt: skip
    report = result.stdout.rsplit("\nREPORT ", 1)[-1].split()
    assert report[0] == "0", result.stderr
    loaded = set(report[1:])
    assert "safepip.config" in loaded  # the file was read
    reading = {
        name
        for name in loaded
        if name == "safepip.session"
        or name.startswith(("safepip.deciding", "safepip.applying", "safepip.reporting"))
        or name in {"safepip.reading.diagnosis", "safepip.reading.piprun"}
    }
    assert not reading, f"an install that needed no fix imported {sorted(reading)}"
