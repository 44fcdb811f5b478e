"""The user's ``[mapping]`` reaches every diagnosis: a live run's, ``safepip diagnose LOG`` and
``safepip diagnose --last`` (it was once a module global filled only on the building path, so
``safepip diagnose`` ignored it)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from safepip.config import load_config
from safepip.reading.diagnosis import Diagnosis
from safepip.transcripts import TranscriptRecorder
from testing.environ import clean_environ, safepip_argv
from testing.piplogs import TRACEBACK, get_requires_failed

#: A build that imports a module of the user's own (no curated entry names its distribution).
LOG = get_requires_failed(
    "Processing ./uses-mymod",
    [
        TRACEBACK,
        '        File "<string>", line 1, in <module>',
        "      ModuleNotFoundError: No module named 'mymod'",
    ],
    "error: subprocess-exited-with-error",
)

CONFIG = """\
[mapping]
mymod = { distribution = "my-dist", requirement = "my-dist>=2" }
"""


def _config(tmp_path: Path) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(CONFIG, encoding="utf-8")
    return path


def _diagnose(args: list[str], environ: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        safepip_argv("diagnose", *args), capture_output=True, text=True, env=environ, check=False
    )


def _failure(result: subprocess.CompletedProcess[str]) -> dict[str, object]:
    assert result.returncode == 1, result.stderr
    [failure] = json.loads(result.stdout)["failures"]
    assert isinstance(failure, dict)
    return failure


def test_diagnosis_without_the_mapping_names_no_distribution(tmp_path: Path) -> None:
    """The baseline the tests below differ from: the curated table does not know mymod."""
    (tmp_path / "log.txt").write_text(LOG, encoding="utf-8")
    failure = _failure(_diagnose([str(tmp_path / "log.txt"), "--json"], clean_environ()))
    assert failure["module"] == "mymod"
    assert failure["distribution"] is None


def test_diagnose_honours_the_mapping(tmp_path: Path) -> None:
    log = tmp_path / "log.txt"
    log.write_text(LOG, encoding="utf-8")
    environ = clean_environ({"SAFEPIP_CONFIG": str(_config(tmp_path))})
    failure = _failure(_diagnose([str(log), "--json"], environ))
    assert (failure["module"], failure["distribution"], failure["requirement"]) == (
        "mymod",
        "my-dist",
        "my-dist>=2",
    )
    human = _diagnose([str(log)], environ)
    assert human.returncode == 1, human.stderr
    assert "my-dist>=2" in human.stdout


def test_diagnose_last_honours_the_mapping(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    recorder = TranscriptRecorder(str(logs))
    for line in LOG.splitlines():
        recorder.feed_line("stderr", line + "\n")
    recorder.keep({"pip_args": ["install", "./uses-mymod"], "exit_status": 1, "cwd": str(tmp_path)})
    environ = clean_environ(
        {"SAFEPIP_CONFIG": str(_config(tmp_path)), "SAFEPIP_LOG_DIR": str(logs)}
    )
    failure = _failure(_diagnose(["--last", "--json"], environ))
    assert failure["distribution"] == "my-dist"


def test_diagnose_with_an_unusable_configuration_says_so(tmp_path: Path) -> None:
    log = tmp_path / "log.txt"
    log.write_text(LOG, encoding="utf-8")
    config = tmp_path / "config.toml"
    config.write_text('[mapping]\nmymod = "not a name"\n', encoding="utf-8")
    result = _diagnose([str(log)], clean_environ({"SAFEPIP_CONFIG": str(config)}))
    assert result.returncode == 2
    message = f"{config}:2: mapping.mymod: 'not a name' is not a valid distribution name"
    assert result.stderr.splitlines() == [f"safepip diagnose: {message}"]


def test_the_mapping_is_handed_to_the_diagnosis_not_kept_in_a_global(tmp_path: Path) -> None:
    """Two diagnoses in one process: only the one given the mapping uses it."""
    providers = load_config({"SAFEPIP_CONFIG": str(_config(tmp_path))}).providers()
    with_mapping, without = Diagnosis(providers=providers), Diagnosis()
    for diagnosis in (with_mapping, without):
        for line in LOG.splitlines():
            diagnosis.feed_line("stdout", line)
    [mapped] = with_mapping.failures()
    [plain] = without.failures()
    assert (mapped.distribution, mapped.requirement) == ("my-dist", "my-dist>=2")
    assert plain.distribution is None
