"""The main job, end to end: `python3 scripts/demo.py`.

Makes a project whose pyproject.toml names flit_core as its build backend but forgets to list it
in [build-system] requires, a fresh virtual environment, and runs `safepip install <project>`
there with the real pip, so you see what pip prints and what safepip adds.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import venv
from pathlib import Path

from _envs import ROOT, clean_environ, ensure_venv, venv_python

PYPROJECT = """\
# A small project that forgot to declare its build backend.
[build-system]
requires = []  # flit_core should be listed here
build-backend = "flit_core.buildapi"

[project]
name = "demo_broken"
version = "1.0"
description = "A project whose build backend is missing from requires"
"""


def make_project(folder: Path) -> Path:
    project = folder / "demo-broken"
    (project / "demo_broken").mkdir(parents=True)
    (project / "pyproject.toml").write_text(PYPROJECT)
    (project / "demo_broken" / "__init__.py").write_text('"""Demo."""\n')
    return project


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", action="store_true", help="keep the project and environment")
    options = parser.parse_args()

    tool = ensure_venv(ROOT / ".venvs" / "demo", sys.executable, "test")
    safepip = tool.with_name("safepip")
    workdir = Path(tempfile.mkdtemp(prefix="safepip-demo-"))
    try:
        project = make_project(workdir)
        print(f"$ cat {project / 'pyproject.toml'}\n{PYPROJECT}", flush=True)
        venv.create(workdir / "env", with_pip=True)
        environ = clean_environ()
        environ["VIRTUAL_ENV"] = str(workdir / "env")
        print(f"$ safepip install {project}   (pip of {venv_python(workdir / 'env')})", flush=True)
        status = subprocess.run(
            [str(safepip), "install", str(project)], env=environ, check=False
        ).returncode
        print(f"\n[demo] safepip exited with status {status}", flush=True)
    finally:
        if options.keep:
            print(f"[demo] kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    return 0 if status != 0 else 1  # the demo shows a failure being explained


if __name__ == "__main__":
    sys.exit(main())
