"""The configuration file: parsing, every error (file, line, key), precedence, `config-show`."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from safepip import config as config_module
from safepip import places, tomlfile
from safepip.config import (
    ConfigError,
    distribution_of,
    effective_options,
    load_config,
    parse_config,
    resolve_fix,
)
from safepip.fixmode import FILE_WORDS
from safepip.options import parse_command_line
from testing.environ import clean_environ
from testing.runs import run_safepip

GOOD = """\
# safepip's configuration
[options]
fix = "yes"
report = "~/reports/safepip.json"

[extra-build-dependencies]
flash-attn = ["torch"]
"Deep.Speed" = [
    "ninja",
    { requirement = "torch", match-runtime = true },
]
empty = []

[mapping]
mymod = "my-dist"
other = { distribution = "other_dist", requirement = "other-dist>=2" }
"""


def write(tmp_path: Path, text: str, name: str = "config.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def load(path: Path) -> config_module.Config:
    return load_config({"SAFEPIP_CONFIG": str(path)})


# -- parsing ------------------------------------------------------------------------------------


def test_parses_every_table(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD)
    config = load(path)
    assert config.exists
    assert config.fix == "apply"
    assert config.report == str(Path("~/reports/safepip.json").expanduser())
    assert str(config.origins["fix"]) == f"{path}:3"
    assert str(config.origins["report"]) == f"{path}:4"

    flash = config.extra_requirements("flash_attn")
    assert [(d.requirement, d.match_runtime) for d in flash] == [("torch", False)]
    assert flash[0].origin.line == 7
    deep = config.extra_requirements("deep-speed")
    assert [(d.requirement, d.match_runtime) for d in deep] == [("ninja", False), ("torch", True)]
    assert deep[0].origin.line == 8
    assert config.extra_requirements("empty") == []
    assert config.extra_requirements("not-configured") == []

    assert config.mapping["mymod"].distribution == "my-dist"
    assert config.mapping["mymod"].requirement == "my-dist"
    assert config.mapping["mymod"].origin.line == 15
    assert config.mapping["other"].requirement == "other-dist>=2"
    providers = config.providers()
    assert providers["other"].distribution == "other_dist"
    assert providers["other"].requirement == "other-dist>=2"


def test_empty_file_and_dotted_keys(tmp_path: Path) -> None:
    assert load(write(tmp_path, "")).fix is None
    config = load(write(tmp_path, 'options.fix = "no"\nmapping.mod = "dist"\n'))
    assert config.fix == "explain"
    assert config.origins["fix"].line == 1
    assert config.mapping["mod"].origin.line == 2


def test_no_file_at_all(tmp_path: Path) -> None:
    environ = {"XDG_CONFIG_HOME": str(tmp_path), "HOME": str(tmp_path)}
    config = load_config(environ)
    assert not config.exists
    assert config.fix is None
    assert config.report is None
    assert config.extra_build_dependencies == {}
    assert config.mapping == {}


@pytest.mark.skipif(sys.platform in {"win32", "darwin"}, reason="the Linux fast path")
@pytest.mark.parametrize(
    "environ",
    [
        {},
        {"XDG_CONFIG_HOME": "/somewhere/config", "XDG_STATE_HOME": "/somewhere/state"},
        {"XDG_STATE_HOME": ""},
    ],
)
def test_fast_paths_agree_with_platformdirs(
    environ: dict[str, str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import platformdirs

    for name in ("XDG_CONFIG_HOME", "XDG_STATE_HOME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    assert places.user_config_dir(os.environ) == platformdirs.user_config_dir("safepip")
    assert places.user_log_dir(os.environ) == platformdirs.user_log_dir("safepip")


@pytest.mark.skipif(sys.platform in {"win32", "darwin"}, reason="the Linux fast path")
def test_relative_xdg_variables_are_ignored(tmp_path: Path) -> None:
    """The XDG spec: a relative path in these variables is invalid and ignored (platformdirs
    4.14 does too; 4.4 still used such a path as it was)."""
    environ = {"XDG_CONFIG_HOME": "relative", "XDG_STATE_HOME": "relative", "HOME": str(tmp_path)}
    assert places.user_config_dir(environ) == str(tmp_path / ".config" / "safepip")
    assert places.user_log_dir(environ) == str(tmp_path / ".local/state/safepip/log")


def test_missing_file_costs_one_stat_and_no_import(tmp_path: Path) -> None:
    """Loading when there is no file imports neither platformdirs nor a TOML parser."""
    code = (
        "import sys, safepip.config as c\n"
        "cfg = c.load_config({'HOME': sys.argv[1], 'XDG_CONFIG_HOME': sys.argv[1]})\n"
        "assert not cfg.exists\n"
        "heavy = {'platformdirs', 'tomllib', 'tomlkit', 'packaging'} & set(sys.modules)\n"
        "print(sorted(heavy))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path)],
        env=clean_environ(),
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.strip() == "[]"


def test_safepip_config_overrides_the_location(tmp_path: Path) -> None:
    path = write(tmp_path, '[options]\nfix = "no"\n', name="elsewhere.toml")
    config = load_config({"SAFEPIP_CONFIG": str(path), "XDG_CONFIG_HOME": str(tmp_path)})
    assert config.path == str(path)
    assert config.fix == "explain"
    assert str(config.path_origin) == "$SAFEPIP_CONFIG"


def test_safepip_config_naming_a_missing_file_is_an_error(tmp_path: Path) -> None:
    missing = tmp_path / "nope.toml"
    with pytest.raises(ConfigError, match=r"nope.toml \(from \$SAFEPIP_CONFIG\) does not exist"):
        load_config({"SAFEPIP_CONFIG": str(missing)})


def test_default_location_is_read(tmp_path: Path) -> None:
    folder = tmp_path / "safepip"
    folder.mkdir()
    write(folder, '[options]\nfix = "ask"\n')
    config = load_config({"XDG_CONFIG_HOME": str(tmp_path)})
    if sys.platform in {"win32", "darwin"}:
        pytest.skip("XDG_CONFIG_HOME is the Linux location")
    assert config.exists
    assert config.fix == "ask"


# -- errors: one line naming the file, the line and the key -------------------------------------


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [
        pytest.param('[options]\nfix = "maybe"\n', 2, 'options.fix: must be "ask"', id="fix-value"),
        pytest.param("[options]\nfix = true\n", 2, "options.fix: must be a string", id="fix-type"),
        pytest.param('[options]\nreport = ""\n', 2, "options.report: must be a file", id="report"),
        pytest.param('[options]\n\ncolour = "x"\n', 3, "options.colour: unknown key", id="key"),
        pytest.param('[optoins]\nfix = "yes"\n', 1, "unknown key 'optoins'", id="table"),
        pytest.param("options = 3\n", 1, "options must be a table", id="table-type"),
        pytest.param(
            '[extra-build-dependencies]\nflash-attn = "torch"\n',
            2,
            "extra-build-dependencies.flash-attn: must be a list",
            id="extra-not-list",
        ),
        pytest.param(
            '[extra-build-dependencies]\n"bad name!" = ["torch"]\n',
            2,
            "'bad name!' is not a valid distribution name",
            id="extra-name",
        ),
        pytest.param(
            '[extra-build-dependencies]\nx = ["torch >="]\n',
            2,
            "'torch >=' is not a valid requirement",
            id="extra-requirement",
        ),
        pytest.param(
            "[extra-build-dependencies]\nx = [3]\n",
            2,
            "a requirement must be a string, not an integer",
            id="extra-item-type",
        ),
        pytest.param(
            '[extra-build-dependencies]\nx = [{ requirement = "torch", match = true }]\n',
            2,
            "unknown key 'match'",
            id="extra-entry-key",
        ),
        pytest.param(
            "[extra-build-dependencies]\nx = [{ match-runtime = true }]\n",
            2,
            "needs requirement",
            id="extra-entry-no-requirement",
        ),
        pytest.param(
            '[extra-build-dependencies]\nx = [{ requirement = "torch", match-runtime = 1 }]\n',
            2,
            "match-runtime must be true or false",
            id="extra-match-runtime-type",
        ),
        pytest.param(
            "[extra-build-dependencies]\n\n"
            'x = [{ requirement = "torch>=2", match-runtime = true }]',
            3,
            "has a version but match-runtime",
            id="extra-match-runtime-version",
        ),
        pytest.param(
            '[extra-build-dependencies]\nFoo_Bar = []\nfoo-bar = ["x"]\n',
            3,
            "the same distribution as 'Foo_Bar'",
            id="extra-duplicate",
        ),
        pytest.param(
            '[mapping]\nmymod = "not a name"\n',
            2,
            "mapping.mymod: 'not a name' is not a valid distribution name",
            id="mapping-name",
        ),
        pytest.param(
            '[mapping]\n"my-mod" = "dist"\n',
            2,
            "'my-mod' is not a top-level module name",
            id="mapping-module",
        ),
        pytest.param(
            '[mapping]\nm = { distribution = "a", requirement = "b>=1" }\n',
            2,
            "requirement 'b>=1' names 'b', not the distribution 'a'",
            id="mapping-mismatch",
        ),
        pytest.param(
            '[mapping]\nm = { distribution = "a", requirement = "a>=" }\n',
            2,
            "'a>=' is not a valid requirement",
            id="mapping-requirement",
        ),
        pytest.param("[mapping]\nm = 3\n", 2, "must be a distribution name", id="mapping-type"),
        pytest.param(
            '[mapping]\nm = { requirement = "a" }\n', 2, "needs distribution", id="mapping-no-dist"
        ),
        pytest.param(
            '[mapping]\nm = { distribution = "a", extra = 1 }\n',
            2,
            "unknown key 'extra'",
            id="mapping-key",
        ),
    ],
)
def test_errors_name_file_line_and_key(tmp_path: Path, text: str, line: int, fragment: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load(path)
    message = str(caught.value)
    assert message.startswith(f"{path}:{line}: "), message
    assert fragment in message
    assert "\n" not in message


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("[options]\nfix = \n", 2),
        ('[options]\nfix = "yes"\nfix = "no"\n', 3),
        ("[options\n", 1),
    ],
)
def test_invalid_toml_names_line_and_column(tmp_path: Path, text: str, line: int) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load(path)
    message = str(caught.value)
    # The wording of every TOML file safepip reads (safepip.tomlfile).
    assert message.startswith(f"{path} is not valid TOML (line {line}, column "), message
    assert "\n" not in message


def test_invalid_toml_through_tomlkit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Python 3.9 and 3.10 without tomli parse with tomlkit: the same one line, columns from 1."""
    monkeypatch.setattr(tomlfile, "toml_parser", lambda: None)
    path = write(tmp_path, "[options]\nfix = \n")
    with pytest.raises(ConfigError, match=r"is not valid TOML \(line 2, column 7\)"):
        load(path)
    assert load(write(tmp_path, GOOD)).fix == "apply"


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_bytes(b'[options]\nreport = "\xff"\n')
    with pytest.raises(ConfigError, match=r"is not UTF-8 text \(byte 0xff at offset 20\)"):
        load(path)


def test_a_directory(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="is a directory"):
        load(tmp_path)


# -- precedence: option > environment > config file > default ----------------------------------


def effective(
    argv: list[str], environ: dict[str, str], text: str, tmp_path: Path
) -> tuple[str, str | None, dict[str, str]]:
    path = write(tmp_path, text)
    config = load(path)
    options = parse_command_line([*argv, "install", "."], environ).options
    values, sources = effective_options(options, config)
    fix = resolve_fix(options, config, environ=environ)
    origins = {"fix": str(fix.origin), "report": str(sources["report"])}
    return FILE_WORDS[fix.chosen], values.report, origins


@pytest.mark.parametrize(
    ("argv", "environ", "text", "mode", "source"),
    [
        pytest.param([], {}, "", "ask", "default", id="default"),
        pytest.param([], {}, '[options]\nfix = "yes"', "yes", "{path}:2", id="file-yes"),
        pytest.param([], {}, '[options]\nfix = "no"', "no", "{path}:2", id="file-no"),
        pytest.param(
            [],
            {"SAFEPIP_NO_FIX": "1"},
            '[options]\nfix = "yes"',
            "no",
            "$SAFEPIP_NO_FIX",
            id="env-over-file",
        ),
        pytest.param(
            [],
            {"SAFEPIP_YES": "0"},
            '[options]\nfix = "yes"',
            "ask",
            "$SAFEPIP_YES",
            id="env-zero-over-file",
        ),
        pytest.param(
            [],
            {"SAFEPIP_YES": ""},
            '[options]\nfix = "yes"',
            "yes",
            "{path}:2",
            id="empty-env-is-unset",
        ),
        pytest.param(
            ["--yes"],
            {"SAFEPIP_NO_FIX": "1"},
            '[options]\nfix = "no"',
            "yes",
            "--yes",
            id="option-over-env-and-file",
        ),
        pytest.param(["--no-fix"], {}, '[options]\nfix = "yes"', "no", "--no-fix", id="option"),
    ],
)
def test_fix_precedence(
    argv: list[str],
    environ: dict[str, str],
    text: str,
    mode: str,
    source: str,
    tmp_path: Path,
) -> None:
    got_mode, _report, sources = effective(argv, environ, text, tmp_path)
    assert got_mode == mode
    assert sources["fix"] == source.format(path=tmp_path / "config.toml")


@pytest.mark.parametrize(
    ("argv", "environ", "text", "report", "source"),
    [
        pytest.param([], {}, "", None, "default", id="default"),
        pytest.param([], {}, '[options]\nreport = "file.json"', "file.json", "{path}:2", id="file"),
        pytest.param(
            [],
            {"SAFEPIP_REPORT": "env.json"},
            '[options]\nreport = "file.json"',
            "env.json",
            "$SAFEPIP_REPORT",
            id="env-over-file",
        ),
        pytest.param(
            ["--report", "cli.json"],
            {"SAFEPIP_REPORT": "env.json"},
            '[options]\nreport = "file.json"',
            "cli.json",
            "--report",
            id="option-over-all",
        ),
    ],
)
def test_report_precedence(
    argv: list[str],
    environ: dict[str, str],
    text: str,
    report: str | None,
    source: str,
    tmp_path: Path,
) -> None:
    _mode, got_report, sources = effective(argv, environ, text, tmp_path)
    assert got_report == report
    assert sources["report"] == source.format(path=tmp_path / "config.toml")


def test_effective_options_keep_the_rest(tmp_path: Path) -> None:
    options = parse_command_line(["--safepip-version"], {"SAFEPIP_YES": "1"}).options
    values, _sources = effective_options(options, load(write(tmp_path, "")))
    assert values.show_version
    assert values.fix == "apply"
    assert values.from_environment == ["SAFEPIP_YES"]
    assert values is not options


# -- config-show --------------------------------------------------------------------------------


def config_show(*args: str, environ: dict[str, str]) -> subprocess.CompletedProcess[str]:
    argv = [sys.executable, "-m", "safepip", "config-show", *args]
    return subprocess.run(argv, env=environ, capture_output=True, text=True, check=False)


def test_config_show_names_every_origin(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD)
    environ = clean_environ({"SAFEPIP_CONFIG": str(path), "SAFEPIP_REPORT": "env.json"})
    result = config_show(environ=environ)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert f"# configuration file: {path} (from $SAFEPIP_CONFIG)" in out
    rows = {
        line.split("#")[0].strip(): line.split("#", 1)[1].strip()
        for line in out.splitlines()
        if "=" in line.split("#")[0]
    }
    assert rows['fix = "yes"'].startswith(f"{path}:3")
    assert rows['report = "env.json"'] == "$SAFEPIP_REPORT"
    assert rows['flash-attn = ["torch"]'] == f"{path}:7"
    assert rows['"Deep.Speed" = ["ninja", { requirement = "torch", match-runtime = true }]'] == (
        f"{path}:8"
    )
    assert rows['mymod = "my-dist"'] == f"{path}:15"
    # What it prints is itself a configuration file with the same meaning.
    copy = write(tmp_path, out, name="copy.toml")
    again = load(copy)
    assert again.fix == "apply"
    assert again.report == "env.json"
    assert set(again.extra_build_dependencies) == {"flash-attn", "deep-speed", "empty"}
    assert again.mapping["other"].requirement == "other-dist>=2"


def test_config_show_takes_safepip_options(tmp_path: Path) -> None:
    """`safepip --no-fix config-show`: the option, not the file, sets fix (and says so)."""
    path = write(tmp_path, GOOD)  # fix = "yes" in the file
    environ = clean_environ({"SAFEPIP_CONFIG": str(path)})
    run = run_safepip(["--no-fix", "config-show"], environ)
    assert run.status == 0, run.err
    [row] = [line for line in run.stdout.decode().splitlines() if line.startswith("fix = ")]
    assert row.split("#")[0].strip() == 'fix = "no"'
    assert row.split("#", 1)[1].strip() == "--no-fix"
    run = run_safepip(["--yes", "--report", "r.json", "config-show", "--json"], environ)
    assert run.status == 0, run.err
    options = json.loads(run.stdout)["effective_options"]
    assert options["fix"] == {"value": "yes", "source": "--yes"}
    assert options["report"] == {"value": "r.json", "source": "--report"}


def test_config_show_json(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD)
    result = config_show("--json", environ=clean_environ({"SAFEPIP_CONFIG": str(path)}))
    document = json.loads(result.stdout)
    assert document["effective_options"]["fix"] == {
        "value": "yes",
        "source": "config file",
        "path": str(path),
        "line": 3,
    }
    assert document["effective_options"]["report"]["line"] == 4
    assert document["extra_build_dependencies"]["flash-attn"][0]["requirement"] == "torch"
    assert document["mapping"]["mymod"]["line"] == 15


def test_config_show_without_a_file(tmp_path: Path) -> None:
    environ = clean_environ({"XDG_CONFIG_HOME": str(tmp_path), "HOME": str(tmp_path)})
    del environ["SAFEPIP_CONFIG"]  # the tests' own empty file: here, none at all
    result = config_show(environ=environ)
    assert result.returncode == 0
    assert "none there" in result.stdout
    assert 'fix = "ask"' in result.stdout


def test_config_show_bad_file_is_one_line(tmp_path: Path) -> None:
    path = write(tmp_path, '[options]\nfix = "maybe"\n')
    result = config_show(environ=clean_environ({"SAFEPIP_CONFIG": str(path)}))
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1
    assert f"{path}:2: options.fix" in result.stderr


@pytest.mark.parametrize(
    ("package", "distribution"),
    [
        pytest.param("remote-widget", "remote-widget", id="name"),
        pytest.param("Remote_Widget==1.0", "Remote_Widget", id="pinned"),
        pytest.param("remote-widget[x]>=1; python_version>'3'", "remote-widget", id="extras"),
        pytest.param("remote-widget @ https://h/x.tar.gz", "remote-widget", id="direct-reference"),
        pytest.param("./wheels/remote_widget-1.0.tar.gz", "remote_widget", id="sdist-file"),
        pytest.param("file:///w/remote_widget-1.0.zip", "remote_widget", id="sdist-file-url"),
        pytest.param("remote_widget-1.0.tar.gz", "remote_widget", id="bare-sdist-name"),
        pytest.param("https://h/remote_widget-1.0-py3-none-any.whl", "remote_widget", id="wheel"),
        pytest.param("https://h/archive.tar.gz#egg=remote-widget", "remote-widget", id="egg"),
        pytest.param("git+https://h/r.git", None, id="vcs-url-without-name"),
        pytest.param("./vendored/widget", "remote-widget", id="local-folder"),
        pytest.param("./nowhere", None, id="missing-folder"),
    ],
)  # fmt: skip
def test_distribution_of_whatever_pip_printed(
    package: str, distribution: str | None, tmp_path: Path
) -> None:
    folder = tmp_path / "vendored" / "widget"
    folder.mkdir(parents=True)
    (folder / "pyproject.toml").write_text('[project]\nname = "remote-widget"\n')
    assert distribution_of(package, str(tmp_path)) == distribution
    config = parse_config(b'[extra-build-dependencies]\nremote-widget = ["torch"]\n', "c.toml")
    found = config.extra_requirements_for(package, str(tmp_path))
    assert [entry.requirement for entry in found] == (["torch"] if distribution else [])


@pytest.mark.slow
def test_extra_build_dependencies_for_an_sdist_from_find_links(
    tmp_path: Path, wheelhouse: Path
) -> None:
    """pip names the sdist by its file (``Processing ./wheels/flit_missing-1.0.tar.gz``): the
    entry keyed by the distribution still applies, without a question."""
    from test_index_sdist import make_sdist
    from testing.environ import safepip_argv
    from testing.venvs import seeded_venv

    sdist = make_sdist(tmp_path / "build", "flit-missing", "flit-missing")
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    shutil.copy(sdist, wheels / sdist.name)
    python = seeded_venv(tmp_path / "venv")
    config = tmp_path / "config.toml"
    config.write_text('[extra-build-dependencies]\nFlit_Missing = ["flit_core>=3.2"]\n')
    environ = clean_environ(
        {"PIP_FIND_LINKS": str(wheelhouse), "SAFEPIP_PYTHON": str(python),
         "SAFEPIP_CONFIG": str(config)}
    )  # fmt: skip
    result = subprocess.run(
        safepip_argv("install", "--no-index", "--find-links", "./wheels", "flit-missing"),
        cwd=tmp_path, env=environ, capture_output=True, text=True,
        stdin=subprocess.DEVNULL, check=False,
    )  # fmt: skip
    assert "Processing ./wheels/flit_missing-1.0.tar.gz" in result.stdout
    assert result.returncode == 0, result.stderr
    assert "your [extra-build-dependencies]" in result.stderr
    assert "applying it without asking" in result.stderr
    assert "Successfully installed flit-missing-1.0" in result.stdout
