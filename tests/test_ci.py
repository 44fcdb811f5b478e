"""CI everywhere: ``safepip shim`` launchers, the GitHub Action run as the runner would, and the
GitLab and Dockerfile recipes of docs/ci.md run as written (docs/ci.md marks each recipe with an
``<!-- recipe: NAME -->`` comment before its code block)."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tarfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from safepip import __version__
from safepip.commands import shim
from testing.cache import CACHE
from testing.environ import clean_environ
from testing.paths import PROJECTS, ROOT
from testing.venvs import seeded_venv

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="launchers are sh scripts")


@pytest.fixture(scope="session")
def offline(wheelhouse: Path) -> dict[str, str]:
    """pip settings in the environment: everything (safepip's own dependencies too) from the
    wheelhouse, nothing from an index."""
    return {
        "PIP_NO_INDEX": "1",
        "PIP_FIND_LINKS": str(wheelhouse),
        "PIP_NO_COMPILE": "1",  # the recipes install safepip several times: no .pyc
    }


#: The CI image's ``python3``, except that ``python3 -m venv DIR`` copies the tests' template venv:
#: the venv and the pip that venv and ensurepip make, in a tenth of a second instead of three
#: (the recipes make a dozen). Any other use runs the next ``python3`` on PATH.
_IMAGE_PYTHON3 = """\
#!/bin/sh
if [ "$#" = 3 ] && [ "$1" = -m ] && [ "$2" = venv ]; then
    exec {python} -c {make} "$3"
fi
rest=
IFS=:
for entry in $PATH; do [ "$entry" = {folder} ] || rest="${{rest:+$rest:}}$entry"; done
unset IFS
PATH=$rest exec python3 "$@"
"""


@pytest.fixture(scope="session")
def image_bin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder to put first on a recipe's PATH: its ``python3`` (see _IMAGE_PYTHON3)."""
    folder = tmp_path_factory.mktemp("image-bin")
    # The tests' cache named outright: a recipe's job has its own HOME.
    make = (
        f"import os, sys; sys.path.insert(0, {str(ROOT)!r}); from pathlib import Path; "
        f"os.environ['SAFEPIP_TEST_CACHE'] = {str(CACHE)!r}; "
        "from testing.venvs import seeded_venv; seeded_venv(Path(os.path.abspath(sys.argv[1])))"
    )
    script = folder / "python3"
    script.write_text(
        _IMAGE_PYTHON3.format(
            python=shlex.quote(sys.executable),
            make=shlex.quote(make),
            folder=shlex.quote(str(folder)),
        )
    )
    script.chmod(0o755)
    return folder


@pytest.fixture(scope="session")
def job(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A CI job's folder: ``venv`` (the job's environment) and ``bin`` (the launchers)."""
    root = tmp_path_factory.mktemp("job")
    seeded_venv(root / "venv")
    result = subprocess.run(
        [sys.executable, "-m", "safepip", "shim", str(root / "bin")],
        env=clean_environ(), capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert "wrote pip, pip3, pip3." in result.stdout
    assert (root / "bin" / f"pip3.{sys.version_info[1]}").exists()
    return root


def job_environ(job: Path, offline: Mapping[str, str], **extra: str) -> dict[str, str]:
    # VIRTUAL_ENV too: safepip called as pip targets it under either rule for which pip runs.
    path = os.pathsep.join([str(job / "bin"), str(job / "venv" / "bin"), os.environ["PATH"]])
    return clean_environ({"PATH": path, "VIRTUAL_ENV": str(job / "venv"), **offline, **extra})


def project(folder: Path, fixture: str = "flit-missing") -> Path:
    target = folder / fixture
    shutil.copytree(PROJECTS / fixture, target)
    return target


def sh(script: str, cwd: Path, environ: Mapping[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "-c", script], cwd=cwd, env=dict(environ), stdin=subprocess.DEVNULL,
        capture_output=True, text=True, check=False,
    )  # fmt: skip


@pytest.mark.slow
def test_launchers_route_bash_c_and_make_through_safepip(
    job: Path, offline: Mapping[str, str], tmp_path: Path
) -> None:
    broken = project(tmp_path)
    environ = job_environ(job, offline)
    # bash -c: no alias there, the launcher is what runs.
    explained = sh("pip install ./flit-missing", tmp_path, environ)
    assert explained.returncode != 0
    assert 'safepip: proposed fix: add "flit_core>=3.2" to [build-system] requires' in (
        explained.stderr
    )
    assert "nothing was changed" in explained.stderr
    # make, with consent from the environment: fixed and installed.
    # docs/ci.md's Makefile rule, in the project.
    (broken / "Makefile").write_text(recipe("makefile"))
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    made = subprocess.run(
        ["make", "install"], cwd=broken, env={**environ, "SAFEPIP_YES": "1"},
        stdin=subprocess.DEVNULL, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    assert "Successfully installed flit-missing-1.0" in made.stdout
    assert '"flit_core>=3.2"' in (broken / "pyproject.toml").read_text()


@pytest.mark.slow
def test_on_github_a_fixed_failure_warns_and_stdout_stays_pips(
    job: Path, offline: Mapping[str, str], tmp_path: Path
) -> None:
    project(tmp_path)
    environ = job_environ(
        job, offline, GITHUB_ACTIONS="true", SAFEPIP_YES="1", GITHUB_WORKSPACE=str(tmp_path)
    )
    shutil.copytree(PROJECTS / "flit-ok", tmp_path / "ok")
    plain = sh(
        "set -o pipefail; safepip install -q --dry-run --report - ./ok | python -m json.tool",
        tmp_path,
        environ,
    )
    assert plain.returncode == 0, plain.stderr
    assert '"name": "flit-ok"' in plain.stdout
    # Not --dry-run, which changes nothing (docs/security.md): installed into a folder instead.
    result = sh(
        "set -o pipefail; pip install -q --target out --report - ./flit-missing"
        " | python -m json.tool",
        tmp_path,
        environ,
    )
    assert result.returncode == 0, result.stderr
    assert '"install": [' in result.stdout  # pip's report came through whole
    annotations = [line for line in result.stderr.splitlines() if line.startswith("::")]
    assert len(annotations) == 1
    assert annotations[0].startswith("::warning file=flit-missing/pyproject.toml,line=4,")
    assert "Commit the change to flit-missing/pyproject.toml" in annotations[0]


def test_launchers_run_the_real_pip_when_safepip_is_gone(job: Path, tmp_path: Path) -> None:
    gone = tmp_path / "launchers"
    shim.write_launchers(str(gone), [str(tmp_path / "uninstalled" / "safepip")], ["pip"])
    venv_bin = job / "venv" / "bin"
    # The launchers' folder twice on PATH: the marker file keeps them from calling themselves.
    path = os.pathsep.join([str(gone), str(gone), str(venv_bin), "/usr/bin", "/bin"])
    result = sh("pip --version", tmp_path, clean_environ({"PATH": path}))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("pip ")
    assert str(job / "venv") in result.stdout
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith(f"safepip: {tmp_path / 'uninstalled' / 'safepip'} is gone;")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param([], "one folder, please", id="no-folder"),
        pytest.param(["a", "b"], "one folder, please", id="two-folders"),
        pytest.param(["--force", "x"], "unknown option --force", id="unknown-option"),
        pytest.param(["FILE"], "exists and is not a folder", id="a-file"),
        pytest.param(["VENV"], "is not a safepip launcher", id="an-environments-bin"),
        pytest.param(["new", "--github"], "$GITHUB_PATH is not set", id="github-outside-ci"),
        pytest.param(["a:b"], "cannot go on PATH", id="colon-in-name"),
    ],
)
def test_bad_input_is_one_line_and_writes_nothing(
    args: list[str], message: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GITHUB_PATH", raising=False)
    (tmp_path / "FILE").write_text("")
    (tmp_path / "VENV").mkdir()
    (tmp_path / "VENV" / "pip").write_text("#!/usr/bin/python\n# a real pip\n")
    before = sorted(p.name for p in tmp_path.rglob("*"))
    assert shim.run([a.replace("VENV", str(tmp_path / "VENV")) for a in args]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert message in err
    assert sorted(p.name for p in tmp_path.rglob("*")) == before


def test_github_appends_the_folder_to_github_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    github_path = tmp_path / "github_path"
    github_path.write_text("/earlier\n")
    monkeypatch.setenv("GITHUB_PATH", str(github_path))
    assert shim.run([str(tmp_path / "launchers"), "--github"]) == 0
    assert github_path.read_text() == f"/earlier\n{tmp_path / 'launchers'}\n"
    assert "added" in capsys.readouterr().out
    assert (tmp_path / "launchers" / shim.MARKER).exists()
    # Again into the same folder: its own launchers are replaced, not refused.
    assert shim.run([str(tmp_path / "launchers")]) == 0


# --- The GitHub Action, run as the runner runs a composite action -------------------------------

_EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")


def _evaluate(value: str, contexts: Mapping[str, str]) -> str:
    def one(match: re.Match[str]) -> str:
        assert match.group(1) in contexts, f"the simulation does not know {match.group(0)}"
        return contexts[match.group(1)]

    return _EXPRESSION.sub(one, value)


class Runner:
    """A job as the Actions runner keeps it: GITHUB_ENV and GITHUB_PATH files read after each
    step (new variables for later steps; new folders first on PATH)."""

    def __init__(self, root: Path, base: Mapping[str, str]) -> None:
        self.root = root
        self.env = dict(base)
        self.paths: list[str] = []
        for name in ("github_env", "github_path", "step_summary"):
            (root / name).write_text("")
        (root / "runner_temp").mkdir()
        self.env.update(
            GITHUB_ACTIONS="true",
            CI="true",
            GITHUB_ENV=str(root / "github_env"),
            GITHUB_PATH=str(root / "github_path"),
            GITHUB_STEP_SUMMARY=str(root / "step_summary"),
            GITHUB_WORKSPACE=str(root / "workspace"),
            RUNNER_TEMP=str(root / "runner_temp"),
            RUNNER_OS="Linux",
        )
        (root / "workspace").mkdir()

    def step(
        self, script: str, env: Mapping[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        environ = {**self.env, **(env or {})}
        environ["PATH"] = os.pathsep.join([*reversed(self.paths), self.env["PATH"]])
        script_file = self.root / "step.sh"
        script_file.write_text(script)
        # The runner's `shell: bash`: bash --noprofile --norc -eo pipefail {0}
        result = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script_file)],
            cwd=self.root / "workspace", env=environ, stdin=subprocess.DEVNULL,
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        self._absorb()
        return result

    def _absorb(self) -> None:
        env_file = self.root / "github_env"
        for line in env_file.read_text().splitlines():
            assert "<<" not in line  # the action writes single-line values only
            name, _, value = line.partition("=")
            self.env[name] = value
        env_file.write_text("")
        path_file = self.root / "github_path"
        self.paths += [line for line in path_file.read_text().splitlines() if line]
        path_file.write_text("")


def _action() -> dict[str, object]:
    yaml = pytest.importorskip("yaml", reason="PyYAML (the test extra) reads action.yml")
    document = yaml.safe_load((ROOT / "action.yml").read_text())
    assert isinstance(document, dict)
    return document


def test_action_passes_inputs_only_through_env() -> None:
    runs = _action()["runs"]
    assert isinstance(runs, dict)
    assert runs["using"] == "composite"
    for step in runs["steps"]:
        assert "${{" not in step.get("run", ""), step
        assert step["shell"] == "bash"


def _action_steps(step: Mapping[str, object], contexts: dict[str, str]) -> list[dict[str, Any]]:
    """The steps of this repository's action, used by a workflow ``step``; its inputs (the
    step's ``with``, else their defaults) set in ``contexts``."""
    action = _action()
    given = step.get("with") or {}
    assert isinstance(given, dict)
    specs = action["inputs"]
    assert isinstance(specs, dict)
    assert set(given) <= set(specs)
    for name, spec in specs.items():
        contexts[f"inputs.{name}"] = str(given.get(name, spec.get("default", "")))
    steps: list[dict[str, Any]] = action["runs"]["steps"]  # type: ignore[index]
    return steps


def _workflow_steps(name: str) -> list[dict[str, object]]:
    yaml = pytest.importorskip("yaml", reason="PyYAML (the test extra) reads the recipe")
    steps = yaml.safe_load(recipe(name))
    assert isinstance(steps, list)
    return steps


@pytest.mark.slow
@pytest.mark.parametrize("variant", ["github-action", "github-step"])
def test_github_recipe_in_a_simulated_job(
    variant: str, job: Path, offline: Mapping[str, str], image_bin: Path, tmp_path: Path
) -> None:
    """docs/ci.md's workflow, its steps run in order: the action's steps (with the recipe's
    inputs) or the step of your own; then the recipe's `pip install -e .` and a later
    `bash -c 'pip install ...'`, both through the launchers."""
    runner = Runner(tmp_path, clean_environ({**offline, "PATH": os.environ["PATH"]}))
    workspace = tmp_path / "workspace"
    fixture = project(tmp_path)
    for entry in fixture.iterdir():
        shutil.move(str(entry), workspace / entry.name)
    shutil.copytree(PROJECTS / "flit-missing", workspace / "second")
    # The job's Python (setup-python's; here a venv, named in VIRTUAL_ENV too so that safepip
    # targets it under either rule for which pip runs).
    runner.env["PATH"] = os.pathsep.join(
        [str(image_bin), str(job / "venv" / "bin"), runner.env["PATH"]]
    )
    runner.env["VIRTUAL_ENV"] = str(job / "venv")
    contexts = {"github.action_path": str(ROOT), "vars.SAFEPIP_SOURCE": str(ROOT)}
    user_runs = []
    for step in _workflow_steps(variant):
        uses = str(step.get("uses", ""))
        if uses.startswith("<owner/repo>@"):
            steps = _action_steps(step, contexts)
        elif "run" in step:
            steps = [step]
        else:
            continue  # checkout, setup-python, upload-artifact: the runner's own
        for inner in steps:
            env = {k: _evaluate(str(v), contexts) for k, v in inner.get("env", {}).items()}
            result = runner.step(inner["run"], {**env, "GITHUB_ACTION_PATH": str(ROOT)})
            user_runs.append(result)
            if "pip install -e ." in inner["run"]:
                break
            assert result.returncode == 0, (inner.get("name"), result.stderr)
    installed = user_runs[-1]
    annotations = [line for line in installed.stderr.splitlines() if line.startswith("::")]
    assert len(annotations) == 1, installed.stderr
    if variant == "github-action":  # fix: "yes"
        assert installed.returncode == 0, installed.stderr
        assert annotations[0].startswith("::warning file=pyproject.toml,line=4,")
        assert (workspace / "safepip-report.json").exists()
    else:
        assert installed.returncode != 0
        assert annotations[0].startswith("::error file=pyproject.toml,line=4,")
    # A later step: a plain bash -c, with no consent to fix.
    later = runner.step("bash -c 'SAFEPIP_YES=0 pip install ./second'")
    assert later.returncode != 0
    assert "::error file=second/pyproject.toml,line=4," in later.stderr
    summary = (tmp_path / "step_summary").read_text()
    assert summary.count("### safepip: `pip install") == 2
    assert "**Done**\n\n- nothing was changed" in summary
    assert re.search(r"```\nsafepip --yes (--report \S+ )?install \./second\n```", summary)


def _broken_sdist_workspace(workspace: Path, sdist: Path) -> None:
    """A checkout: a requirements.txt naming flit-missing, whose sdist (a dependency that forgets
    its backend) is committed in a find-links folder the file names: not the user's package."""
    links = workspace / "links"
    links.mkdir()
    shutil.copy(sdist, links / sdist.name)
    (workspace / "requirements.txt").write_text("--find-links ./links\nflit-missing\n")


def _flit_missing_sdist(folder: Path) -> Path:
    source = project(folder / "source")
    (source / "PKG-INFO").write_text("Metadata-Version: 2.1\nName: flit-missing\nVersion: 1.0\n")
    sdist = folder / "flit_missing-1.0.tar.gz"
    with tarfile.open(sdist, "w:gz") as archive:
        archive.add(source, arcname="flit_missing-1.0")
    return sdist


def _cache_job(
    tmp_path: Path, name: str, offline: Mapping[str, str], image_bin: Path, cache: Path
) -> tuple[subprocess.CompletedProcess[str], Path]:
    """One job of the github-cache recipe on a fresh runner (its own HOME, pip cache and
    Python), with actions/cache emulated: restored at its step, saved when the job ends."""
    root = tmp_path / name
    root.mkdir()
    base = clean_environ({**offline, "PATH": os.environ["PATH"], "HOME": str(root / "home")})
    for variable in ("SAFEPIP_NO_MEMORY", "SAFEPIP_CACHE_DIR"):
        base.pop(variable)  # the test default; here the action's own choice is under test
    runner = Runner(root, base)
    _broken_sdist_workspace(root / "workspace", tmp_path / "flit_missing-1.0.tar.gz")
    python = seeded_venv(root / "python")
    runner.env["PATH"] = os.pathsep.join([str(image_bin), str(python.parent), runner.env["PATH"]])
    runner.env["VIRTUAL_ENV"] = str(python.parent.parent)
    contexts = {
        "github.action_path": str(ROOT),
        "runner.os": "Linux",
        "steps.python.outputs.python-version": f"{sys.version_info[0]}.{sys.version_info[1]}",
        "github.run_id": name,
    }
    store = root / "home" / ".cache" / "safepip"
    result = None
    for step in _workflow_steps("github-cache"):
        uses = str(step.get("uses", ""))
        if uses.startswith("actions/cache@"):
            given = step["with"]
            assert isinstance(given, dict)
            assert given["path"] == "~/.cache/safepip"
            key = _evaluate(str(given["key"]), contexts)
            prefix = _evaluate(str(given["restore-keys"]), contexts)
            assert key.startswith(prefix)
            if cache.exists():  # restored as the cache action does: a tar keeps the modes
                store.parent.mkdir(parents=True)
                shutil.copytree(cache, store, symlinks=True)
            continue
        if uses.startswith("<owner/repo>@"):
            steps = _action_steps(step, contexts)
        elif "run" in step:
            steps = [step]
        else:
            continue  # checkout, setup-python: the runner's own
        for inner in steps:
            env = {k: _evaluate(str(v), contexts) for k, v in inner.get("env", {}).items()}
            result = runner.step(inner["run"], {**env, "GITHUB_ACTION_PATH": str(ROOT)})
            assert result.returncode == 0, (name, inner.get("name"), result.stderr)
    assert result is not None
    # The post step of actions/cache: the job's store is saved under the new key.
    if store.exists():
        shutil.rmtree(cache, ignore_errors=True)
        shutil.copytree(store, cache, symlinks=True)
    return result, root / "workspace"


@pytest.mark.slow
def test_github_cache_recipe_second_job_runs_pip_once(
    offline: Mapping[str, str], image_bin: Path, tmp_path: Path
) -> None:
    """docs/ci.md's github-cache workflow in two jobs on fresh runners, the store restored
    between them as actions/cache does: the first job fixes the broken sdist (fix: "yes") and
    keeps the wheel; the second installs it with one pip run and no failed build."""
    cache = tmp_path / "actions-cache"
    _flit_missing_sdist(tmp_path)
    first, workspace = _cache_job(tmp_path, "job1", offline, image_bin, cache)
    report = json.loads((workspace / "safepip-report.json").read_text())
    assert [run["exit_status"] for run in report["runs"]][-1] == 0
    assert len(report["runs"]) >= 2, first.stderr
    assert "safepip: remembered flit_missing-1.0-py3-none-any.whl" in first.stderr
    assert (cache / "wheels").is_dir()

    second, workspace = _cache_job(tmp_path, "job2", offline, image_bin, cache)
    report = json.loads((workspace / "safepip-report.json").read_text())
    assert [run["exit_status"] for run in report["runs"]] == [0], second.stderr
    assert "safepip: reused the remembered fixed wheel of flit-missing 1.0" in second.stderr
    assert "could not be built" not in second.stderr
    assert report["reused"][0]["distribution"] == "flit-missing"


@pytest.mark.slow
def test_gitlab_cache_recipe_second_job_runs_pip_once(
    job: Path, offline: Mapping[str, str], image_bin: Path, tmp_path: Path
) -> None:
    """docs/ci.md's gitlab-cache job twice, in fresh project folders, the cache path carried
    from the first to the second as the runner does (an archive restored in the project)."""
    yaml = pytest.importorskip("yaml", reason="PyYAML (the test extra) reads the recipe")
    [(_, spec)] = yaml.safe_load(recipe("gitlab-cache")).items()
    assert spec["cache"]["paths"] == [".safepip-cache"]
    sdist = _flit_missing_sdist(tmp_path)
    kept = tmp_path / "gitlab-cache"
    results = []
    for name in ("job1", "job2"):
        folder = tmp_path / name
        folder.mkdir()
        _broken_sdist_workspace(folder, sdist)
        if kept.exists():
            shutil.copytree(kept, folder / ".safepip-cache", symlinks=True)
        variables = {
            key: str(value).replace("$CI_PROJECT_DIR", str(folder))
            for key, value in spec["variables"].items()
        }
        environ = job_environ(
            job, offline, SAFEPIP_SOURCE=str(ROOT), CI="true", HOME=str(folder / "home"),
            CI_PROJECT_DIR=str(folder), **variables,
        )  # fmt: skip
        environ.pop("SAFEPIP_NO_MEMORY")
        environ["PATH"] = os.pathsep.join([str(job / "venv" / "bin"), os.environ["PATH"]])
        # Each job's own Python (the runner image's), with nothing installed from the first.
        python = seeded_venv(folder / "python")
        environ["PATH"] = os.pathsep.join([str(image_bin), str(python.parent), environ["PATH"]])
        environ["VIRTUAL_ENV"] = str(python.parent.parent)
        script = "set -e\n" + "\n".join(spec["script"]) + "\n"
        result = sh(script.replace("/tmp/", f"{tmp_path}/"), folder, environ)
        assert result.returncode == 0, (name, result.stderr)
        results.append(result)
        shutil.rmtree(kept, ignore_errors=True)
        shutil.copytree(folder / ".safepip-cache", kept, symlinks=True)
    first, second = results
    assert "safepip: remembered flit_missing-1.0-py3-none-any.whl" in first.stderr
    assert "safepip: reused the remembered fixed wheel of flit-missing 1.0" in second.stderr
    assert "could not be built" not in second.stderr
    assert "running pip again" not in second.stderr


# --- docs/ci.md recipes, as written ----------------------------------------------------------


def recipe(name: str) -> str:
    """The code block after ``<!-- recipe: name -->`` in docs/ci.md."""
    text = (ROOT / "docs" / "ci.md").read_text()
    found = re.search(rf"<!-- recipe: {re.escape(name)} -->\s*```[a-z]*\n(.*?)```", text, re.DOTALL)
    assert found, f"docs/ci.md has no recipe {name}"
    return found.group(1)


@pytest.mark.slow
def test_gitlab_recipe(
    job: Path, offline: Mapping[str, str], image_bin: Path, tmp_path: Path
) -> None:
    yaml = pytest.importorskip("yaml", reason="PyYAML (the test extra) reads the recipe")
    [(name, spec)] = yaml.safe_load(recipe("gitlab")).items()
    project(tmp_path)
    shutil.copy(tmp_path / "flit-missing" / "pyproject.toml", tmp_path / "pyproject.toml")
    shutil.copytree(tmp_path / "flit-missing" / "flit_missing", tmp_path / "flit_missing")
    variables = {key: str(value) for key, value in spec.get("variables", {}).items()}
    # What the project sets in its CI/CD variables; the job's own Python is the runner image's.
    environ = job_environ(job, offline, SAFEPIP_SOURCE=str(ROOT), CI="true", **variables)
    environ["PATH"] = os.pathsep.join(
        [str(image_bin), str(job / "venv" / "bin"), os.environ["PATH"]]
    )
    script = "set -e\n" + "\n".join(spec["script"]) + "\n"
    result = sh(script.replace("/tmp/", f"{tmp_path}/"), tmp_path, environ)
    assert result.returncode != 0, (name, result.stderr)
    assert 'proposed fix: add "flit_core>=3.2" to [build-system] requires' in result.stderr
    assert (tmp_path / "safepip-report.json").exists()
    assert spec["artifacts"]["paths"] == ["safepip-report.json"]


@pytest.mark.slow
def test_dockerfile_recipe(offline: Mapping[str, str], image_bin: Path, tmp_path: Path) -> None:
    """The RUN lines as the shell runs them, with each ENV applied and /opt/ under tmp_path."""
    app = tmp_path / "app"
    project(tmp_path)
    (tmp_path / "flit-missing").rename(app)
    *setup, (last, installed) = _docker_build(
        recipe("dockerfile"), tmp_path, app, offline, image_bin
    )
    assert len(setup) == 2
    for line, result in setup:
        assert result.returncode == 0, (line, result.stderr)
    assert last == "pip install ."
    # The build stops, with safepip's explanation (the launchers are on the image's PATH).
    assert installed.returncode != 0
    assert 'safepip: proposed fix: add "flit_core>=3.2"' in installed.stderr


def _docker_build(
    dockerfile: str,
    root: Path,
    app: Path,
    offline: Mapping[str, str],
    image_bin: Path,
    cache: Path | None = None,
    *,
    layers_cached: bool = False,
) -> list[tuple[str, subprocess.CompletedProcess[str]]]:
    """The Dockerfile's RUN lines as the shell runs them, each ENV applied, /opt/ under
    ``root``; a BuildKit cache mount's target is ``cache`` (kept between builds). With
    ``layers_cached``, the layer that installs safepip is docker's from an earlier build in
    the same ``root`` (its COPY and RUN are not run again)."""
    if cache is not None:
        dockerfile = dockerfile.replace("/opt/safepip-cache", str(cache))
    lines = dockerfile.replace("/opt/", f"{root}/opt/").replace("\\\n", " ")
    (root / "opt").mkdir(exist_ok=layers_cached)
    environ = clean_environ(dict(offline))
    environ["PATH"] = os.pathsep.join([str(image_bin), environ["PATH"]])
    if cache is not None:
        environ.pop("SAFEPIP_NO_MEMORY")  # the tests' default; the recipe's store is under test
    runs = []
    for line in lines.splitlines():
        word, _, rest = line.partition(" ")
        if word == "ENV":
            for name, value in re.findall(r"(\w+)=(\S+)", rest):
                environ[name] = value.replace("$PATH", environ["PATH"])
        elif word == "WORKDIR":
            assert rest.strip() == "/app"
        elif word == "COPY" and rest.split()[0] == "safepip/":
            if layers_cached:
                continue
            shutil.copytree(ROOT / "src", root / "opt" / "safepip-src" / "src")
            for name in ("pyproject.toml", "README.md"):
                shutil.copy(ROOT / name, root / "opt" / "safepip-src" / name)
        elif word == "RUN" and layers_cached and "safepip shim" in rest:
            continue
        elif word == "RUN":
            mount = re.match(r"--mount=type=cache,target=(\S+) ", rest)
            if mount is not None:
                assert cache is not None
                assert mount.group(1) == str(cache)
                rest = rest[mount.end() :]
            result = subprocess.run(
                ["/bin/sh", "-c", rest], cwd=app, env=environ, stdin=subprocess.DEVNULL,
                capture_output=True, text=True, check=False,
            )  # fmt: skip
            runs.append((rest, result))
    return runs


@pytest.mark.slow
def test_dockerfile_cache_recipe_second_build_runs_pip_once(
    offline: Mapping[str, str], image_bin: Path, tmp_path: Path
) -> None:
    """docs/ci.md's dockerfile-cache: two image builds from scratch sharing only the BuildKit
    cache mount; the second installs the remembered wheel with one pip run."""
    sdist = _flit_missing_sdist(tmp_path)
    cache = tmp_path / "buildkit-cache"
    cache.mkdir()  # BuildKit makes the mount's folder, root's, 0755
    installs = []
    for name in ("build1", "build2"):
        # The second build reuses docker's layer with safepip installed; the image's own
        # environment (/opt/venv) and the application are made again.
        shutil.rmtree(tmp_path / "opt" / "venv", ignore_errors=True)
        app = tmp_path / name
        app.mkdir()
        _broken_sdist_workspace(app, sdist)
        runs = _docker_build(
            recipe("dockerfile-cache"),
            tmp_path,
            app,
            offline,
            image_bin,
            cache,
            layers_cached=bool(installs),
        )
        *setup, (last, installed) = runs
        for line, result in setup:
            assert result.returncode == 0, (line, result.stderr)
        assert last == "pip install -r requirements.txt"
        assert installed.returncode == 0, installed.stderr
        installs.append(installed)
    first, second = installs
    assert "safepip: remembered flit_missing-1.0-py3-none-any.whl" in first.stderr
    assert "safepip: reused the remembered fixed wheel of flit-missing 1.0" in second.stderr
    assert "could not be built" not in second.stderr
    assert "running pip again" not in second.stderr


# --- tox, nox and pre-commit, for real (offline: pip settings through the environment) -------


def widget_project(folder: Path) -> Path:
    """The recipes' ./vendored/widget: flit-missing renamed (a dependency that forgets its
    backend), next to a sound project of the user's (flit-ok)."""
    for entry in (PROJECTS / "flit-ok").iterdir():
        copy = shutil.copytree if entry.is_dir() else shutil.copy
        copy(entry, folder / entry.name)
    widget = folder / "vendored" / "widget"
    shutil.copytree(PROJECTS / "flit-missing", widget)
    (widget / "flit_missing").rename(widget / "widget")
    pyproject = widget / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('name = "flit-missing"', 'name = "widget"'))
    return widget


def tool(module: str) -> None:
    found = subprocess.run(
        [sys.executable, "-c", f"import {module}"], capture_output=True, check=False
    )
    if found.returncode != 0:
        pytest.skip(f"{module} is not installed (the test-tools extra has it)")


def run_tool(
    argv: list[str], cwd: Path, environ: Mapping[str, str]
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        argv, cwd=cwd, env=dict(environ), stdin=subprocess.DEVNULL, capture_output=True,
        text=True, check=False,
    )  # fmt: skip


def tool_environ(job: Path, offline: Mapping[str, str], home: Path, **extra: str) -> dict[str, str]:
    # safepip from PATH (the launchers' folder has it); no active environment: the tool makes its
    # own and names it in VIRTUAL_ENV.
    path = os.pathsep.join([str(job / "bin"), os.environ["PATH"]])
    return clean_environ({"PATH": path, **offline, "HOME": str(home), **extra})


@pytest.mark.slow
def test_tox_recipe(job: Path, offline: Mapping[str, str], tmp_path: Path) -> None:
    tool("tox")
    widget = widget_project(tmp_path)
    (tmp_path / "tox.ini").write_text(recipe("tox"))
    environ = tool_environ(job, offline, tmp_path, SAFEPIP_YES="1")
    result = run_tool([sys.executable, "-m", "tox", "-vv", "-e", "py"], tmp_path, environ)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-3000:]
    assert "safepip install" in output
    assert 'proposed fix: add "flit_core>=3.2" to [build-system] requires' in output
    assert '"flit_core>=3.2"' in (widget / "pyproject.toml").read_text()


@pytest.mark.slow
def test_nox_recipe(job: Path, offline: Mapping[str, str], tmp_path: Path) -> None:
    tool("nox")
    widget = widget_project(tmp_path)
    (tmp_path / "noxfile.py").write_text(recipe("nox"))
    environ = tool_environ(job, offline, tmp_path, SAFEPIP_YES="1")
    result = run_tool([sys.executable, "-m", "nox", "-s", "tests"], tmp_path, environ)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-3000:]
    assert 'proposed fix: add "flit_core>=3.2" to [build-system] requires' in output
    assert '"flit_core>=3.2"' in (widget / "pyproject.toml").read_text()


def git(cwd: Path, *args: str) -> str:
    environ = clean_environ(
        {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t",
         "GIT_COMMITTER_EMAIL": "t@t", "GIT_CONFIG_GLOBAL": os.devnull}
    )  # fmt: skip
    return subprocess.run(
        ["git", *args], cwd=cwd, env=environ, capture_output=True, text=True, check=True
    ).stdout.strip()


@pytest.mark.slow
def test_pre_commit_recipe(offline: Mapping[str, str], tmp_path: Path) -> None:
    tool("pre_commit")
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("needs git and a git checkout of safepip")
    clone = tmp_path / "safepip-clone"
    git(tmp_path, "clone", "-q", str(ROOT), str(clone))
    # The recipe pins the release tag; the clone gets it on the commit under test.
    git(clone, "tag", "--force", f"v{__version__}")
    repo = tmp_path / "repo"
    project(tmp_path)
    (tmp_path / "flit-missing").rename(repo)
    config = recipe("pre-commit").replace("<your clone URL>", str(clone))
    assert f"rev: v{__version__}" in config
    (repo / ".pre-commit-config.yaml").write_text(config)
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "a project that forgets its backend", "--no-verify")
    environ = clean_environ({**offline, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"),
                             "GIT_CONFIG_GLOBAL": os.devnull})  # fmt: skip
    pre_commit = [sys.executable, "-m", "pre_commit", "run", "--all-files"]
    checked = run_tool(pre_commit, repo, environ)
    assert checked.returncode == 1, checked.stdout + checked.stderr
    assert "pyproject.toml:4: " in checked.stdout
    # The fixer hook, on a file git holds: fixed, and no backup beside it.
    fixing = config.replace("id: safepip-doctor", "id: safepip-doctor-fix")
    (repo / ".pre-commit-config.yaml").write_text(fixing)
    fixed = run_tool(pre_commit, repo, environ)
    assert fixed.returncode == 1  # pre-commit fails a run whose hooks changed files
    assert "files were modified by this hook" in fixed.stdout
    assert '"flit_core>=3.2"' in (repo / "pyproject.toml").read_text()
    status = git(repo, "status", "--porcelain", "--untracked-files=all")
    assert sorted(line.split()[-1] for line in status.splitlines()) == [
        ".pre-commit-config.yaml",
        "pyproject.toml",
    ]  # no pyproject.toml.safepip-backup for the next `git add -A` to commit
