"""Secrets and hostile text in what safepip itself shows or stores (issue 18, items 6 to 8).

One masker with pip's rules (``safepip.redaction``) and one sanitiser (``safepip.visible``), and
every place that shows or stores a command line or pip's output: safepip's lines, the "To apply
this fix, run" and "running pip again" lines, the GitHub annotations and step summary, the
``--report`` JSON, the crash log and ``safepip diagnose``.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from safepip import errors
from safepip.commands import diagnose
from safepip.reading.findings import BuildFailure
from safepip.redaction import mask_credentials, redact_argv, redact_json
from safepip.reporting import github
from safepip.reporting.records import Explained, RunRecord, SessionRecord
from safepip.reporting.reporter import TerminalReporter
from safepip.visible import visible
from testing.environ import clean_environ, safepip_argv
from testing.paths import PROJECTS
from testing.runs import write_script

LOGS = Path(__file__).parent / "logs"
TOKEN = "TOKEN1234"  # noqa: S105 - the secret the tests look for
INDEX = f"https://user:{TOKEN}@host/simple"
EXTRA = f"https://{TOKEN}@extra.example/simple"
PIP_ARGS = ["install", "--index-url", INDEX, f"--extra-index-url={EXTRA}", "./proj"]
#: What a build may print: ESC c (reset), ESC ( 0 (line drawing set), CSI and OSC as C1 controls,
#: NUL, BEL, DEL and a right-to-left override.
HOSTILE = "\x1bc\x1b(0\u009b31m\u009d0;title\x07\x00\x7f\u202eevil"
RAW = ("\x1b", "\u009b", "\u009d", "\x00", "\x07", "\x7f", "\u202e")


# -- the masker -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        INDEX,
        EXTRA,
        "https://user:p@ss@host/simple",
        "https://:tok@host/",
        "https://user:@host/",
        "https://@host/",
        "https://us%40er:pw@host:8443/x?y=1#z",
        "https://a!b:pw@host/",
        "http://host/simple",
        "https://host/path@v1",
        "git+https://tok@github.com/o/r.git@v1",
    ],
)
def test_masking_matches_pips_redact_auth_from_url(url: str) -> None:
    from pip._internal.utils.misc import redact_auth_from_url

    assert mask_credentials(url) == redact_auth_from_url(url)
    assert redact_argv(["-i", url]) == ["-i", redact_auth_from_url(url)]


def test_a_command_line_is_masked_in_every_spelling() -> None:
    argv = [
        "install",
        "-i",
        INDEX,
        f"-i{INDEX}",
        f"--index-url={INDEX}",
        "--extra-index-url",
        EXTRA,
        "-f",
        f"https://u:{TOKEN}@links/",
        f"pkg @ https://{TOKEN}@host/pkg-1.0.tar.gz",
        "--proxy",
        f"user:{TOKEN}@proxy:3128",
        f"--proxy=http://user:{TOKEN}@proxy:3128",
        "./proj",
    ]
    shown = redact_argv(argv)
    assert TOKEN not in " ".join(shown)
    assert shown[2] == "https://user:****@host/simple"
    assert shown[6] == "https://****@extra.example/simple"
    assert shown[11] == "user:****@proxy:3128"
    assert shown[-1] == "./proj"
    assert redact_json({"a": [argv, {"b": INDEX}]}) == {
        "a": [shown, {"b": redact_argv([INDEX])[0]}]
    }


# -- every place a command line or pip's output is shown or stored ---------------------------------


def _failure(evidence: str = "pip said this") -> BuildFailure:
    return BuildFailure(
        kind="backend-unavailable",
        package="./proj",
        source="local",
        module="flit_core",
        distribution="flit_core",
        requirement="flit_core>=3.2",
        explanation=f"not listed; see {INDEX}",
        evidence=evidence,
    )


def test_the_reporters_lines_mask_the_index_url(capsys: pytest.CaptureFixture[str]) -> None:
    reporter = TerminalReporter(PIP_ARGS, None, verbosity=0)
    reporter.explain_only()
    reporter.running_again([*PIP_ARGS, "--proxy", f"u:{TOKEN}@proxy:3128"], None)
    reporter.fetching("x-1.0.tar.gz", INDEX)
    reporter.explained(_failure(f"from {INDEX}"), None)
    err = capsys.readouterr().err
    assert "To apply this fix, run:\n  safepip --yes install --index-url" in err
    assert "running pip again: install --index-url https://user:****@host/simple" in err
    assert "u:****@proxy:3128" in err
    assert TOKEN not in err


def test_the_github_summary_and_annotations_mask_the_index_url(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    record = SessionRecord(pip_command=PIP_ARGS)
    record.add_run(RunRecord(PIP_ARGS, 1, "the command"))
    record.explained = [Explained(_failure(), None)]
    stderr = _Capture()
    monkeypatch.setattr(sys, "stderr", stderr)
    TerminalReporter(PIP_ARGS, None, verbosity=0).finished(record)
    text = summary.read_text()
    assert "### safepip: `pip install --index-url https://user:****@host/simple" in text
    assert "::error" in stderr.text
    assert TOKEN not in text
    assert TOKEN not in stderr.text


class _Capture:
    def __init__(self) -> None:
        self.text = ""

    def write(self, text: str) -> int:
        self.text += text
        return len(text)

    def flush(self) -> None:
        pass


def test_the_report_masks_every_field(tmp_path: Path) -> None:
    record = SessionRecord(pip_command=PIP_ARGS)
    record.add_run(RunRecord(PIP_ARGS, 1, "the command"))
    record.add_run(RunRecord(["wheel", "--proxy", f"u:{TOKEN}@proxy:1"], 1, "a patched copy"))
    record.explained = [Explained(_failure(f"Looking in indexes: {INDEX}"), None)]
    report = json.dumps(record.to_json())
    assert TOKEN not in report
    document = record.to_json()
    assert document["pip_command"][2] == "https://user:****@host/simple"  # type: ignore[index]
    assert document["runs"][0]["argv"][3].startswith("--extra-index-url=https://****@")  # type: ignore[index]


def test_the_crash_log_masks_argv_and_the_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.setattr(sys, "argv", ["safepip", *PIP_ARGS])

    def crash() -> int:
        raise RuntimeError(f"cannot open {INDEX}")

    assert errors.guarded(crash) == errors.EXIT_INTERNAL_ERROR
    [log] = tmp_path.glob("safepip-crash-*.log")
    text = log.read_text()
    assert "user:****@host" in text
    assert "RuntimeError" in text
    assert TOKEN not in text
    assert TOKEN not in capsys.readouterr().err


# -- the sanitiser -----------------------------------------------------------------------------


def test_control_characters_and_bidi_overrides_are_made_visible() -> None:
    assert visible("plain text, tabs\tand ünïcode") == "plain text, tabs\tand ünïcode"
    shown = visible("a" + HOSTILE + "\r\n\u0085\u2066")
    assert shown == (
        "a\\x1bc\\x1b(0\\x9b31m\\x9d0;title\\x07\\x00\\x7f\\u202eevil\\x0d\\x0a\\x85\\u2066"
    )
    assert visible("one\r\ntwo\n", lines=True) == "one\r\ntwo\n"
    assert visible("one\rtwo\x1b\n", lines=True) == "one\\x0dtwo\\x1b\n"


def _hostile_log(tmp_path: Path, project: str = "./flit-missing") -> Path:
    log = (LOGS / "pip26.3-flit-missing.log").read_text(encoding="utf-8")
    log = log.replace("'flit_core.buildapi'.", "'flit_core.buildapi'." + HOSTILE)
    log = log.replace("./flit-missing", project)
    path = tmp_path / "hostile.log"
    # A NUL in the first 8000 bytes makes the file binary: pip's noise comes first, as in CI.
    path.write_text("Looking in indexes: https://pypi.org/simple\n" * 200 + log, encoding="utf-8")
    return path


def test_diagnose_shows_hostile_text_visibly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert diagnose.run([str(_hostile_log(tmp_path))]) == 1
    out = capsys.readouterr().out
    assert "pip said: × Cannot import build backend 'flit_core.buildapi'.\\x1bc\\x1b(0" in out
    assert "\\x9b31m\\x9d0;title\\x07\\x00\\x7f\\u202eevil" in out
    for char in RAW:
        assert char not in out
    assert diagnose.run([str(_hostile_log(tmp_path)), "--json"]) == 1
    document = capsys.readouterr().out
    assert json.loads(document)["failures"][0]["evidence"].endswith(HOSTILE)  # faithful
    for char in RAW:
        assert char not in document  # and escaped by json.dumps


# -- the step summary: no Markdown or HTML of pip's renders ---------------------------------------


def test_the_step_summary_neutralises_markdown_and_html() -> None:
    evil = (
        "see [x](http://evil) ![x](http://evil/img) <img src=http://evil/i> <details>"
        " **bold** `code` www.evil.com a@evil.com $x$ | table | " + HOSTILE
    )
    rows = [
        github.Row(
            {"kind": "backend-unavailable", "package": "p``k`g", "explanation": evil},
            f"add {evil}",
            applied=False,
        )
    ]
    summary = github.step_summary(["install", "x ``` `y"], rows, 1, "safepip --yes ``` install")
    for live in ("](", "<img", "<details", "**bold**", "`code`", "www.evil", "a@evil"):
        assert live not in summary
    assert "&lt;img src=http\\://evil/i&gt;" in summary
    assert "### safepip: ```` pip install x ``` `y ````\n" in summary
    assert "- ``` p``k`g ```: see \\[x\\]\\(http\\://evil\\)" in summary
    assert "\n````\nsafepip --yes ``` install\n````\n" in summary
    for char in RAW:
        assert char not in summary


def test_annotations_escape_as_github_documents_and_show_controls() -> None:
    line = github.annotation(
        {"kind": "k", "package": "p", "explanation": "100% done\r\nnext " + HOSTILE}, fix=None
    )
    assert line.startswith("::error title=safepip%3A k (p)::100%25 done%0D%0Anext \\x1bc")
    for char in RAW:
        assert char not in line


# -- one real run -----------------------------------------------------------------------------


# A stand-in interpreter: pip's install prints a failure with hostile text in its evidence line
# and fails; everything else (safepip's questions to the target) goes to the real interpreter.
STANDIN = """\
import os, sys
if sys.argv[1:3] == ["-m", "pip"] and "install" in sys.argv:
    with open(os.environ["STANDIN_LOG"], "rb") as log:
        os.write(1, log.read())
    sys.exit(1)
os.execv({python!r}, [{python!r}, *sys.argv[1:]])
"""


@pytest.mark.slow
def test_a_real_run_masks_secrets_and_shows_hostile_text(tmp_path: Path) -> None:
    project = tmp_path / "proj"
    shutil.copytree(PROJECTS / "flit-missing", project)
    summary = tmp_path / "summary.md"
    report = tmp_path / "report.json"
    python = write_script(tmp_path / "python", STANDIN.format(python=sys.executable))
    environ = clean_environ(
        {
            "SAFEPIP_PYTHON": str(python),
            "STANDIN_LOG": str(_hostile_log(tmp_path, str(project))),
            "PIP_INDEX_URL": f"https://env:{TOKEN}@env.example/simple",
            "GITHUB_ACTIONS": "true",
            "GITHUB_STEP_SUMMARY": str(summary),
            "GITHUB_WORKSPACE": str(tmp_path),
            "SAFEPIP_LOG_DIR": str(tmp_path / "logs"),
            "SAFEPIP_PREFLIGHT": "0",  # the fix after pip's failure, then "running pip again"
        }
    )
    args = ["install", "--index-url", INDEX, "--extra-index-url", EXTRA, str(project)]
    explained = subprocess.run(
        safepip_argv("--report", str(report), *args),
        env=environ,
        capture_output=True,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    fixed = subprocess.run(
        safepip_argv("--yes", "--report", str(report), *args),
        env=environ,
        capture_output=True,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    own = [
        line
        for run in (explained, fixed)
        for line in run.stderr.decode("utf-8", "replace").splitlines()
        if line.startswith(("safepip", "  safepip --yes", "::"))
    ]
    text = "\n".join(own)
    assert "To apply this fix, run:" in explained.stderr.decode()
    assert "running pip again: install --index-url https://user:****@host/simple" in text
    assert "pip said: × Cannot import build backend 'flit_core.buildapi'.\\x1bc" in text
    for char in RAW:
        assert char not in text
    for stored in (text, summary.read_text(), report.read_text()):
        assert TOKEN not in stored
    assert "https://user:****@host/simple" in report.read_text()
