"""The main job, end to end: `python3 scripts/demo.py`.

Makes a project whose pyproject.toml names flit_core as its build backend but forgets to list it
in [build-system] requires, and a fresh virtual environment. Then, with the real pip:
1. `safepip --no-fix install <project>`: pip fails; safepip explains why and what it would change;
2. `safepip --yes install <project>`, with the pre-flight check turned off so that pip fails first:
   safepip reads the failure, patches requires, runs pip again, and it succeeds;
3. the project imports, and its pyproject.toml shows the one line that changed;
4. `safepip doctor` on a fresh broken copy: the same problem found without running pip at all
   (which is what `safepip --yes install` does first, by default).
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
    ok = False
    try:
        project = make_project(workdir)
        print(f"$ cat {project / 'pyproject.toml'}\n{PYPROJECT}", flush=True)
        venv.create(workdir / "env", with_pip=True)
        python = venv_python(workdir / "env")
        environ = clean_environ()
        environ["VIRTUAL_ENV"] = str(workdir / "env")
        statuses = []
        for own, preflight in ((["--no-fix"], "1"), (["--yes"], "0")):
            shown = f"SAFEPIP_PREFLIGHT={preflight} " if preflight == "0" else ""
            print(f"\n$ {shown}safepip {' '.join(own)} install {project}", flush=True)
            print(f"  (the pip of {python})", flush=True)
            statuses.append(
                subprocess.run(
                    [str(safepip), *own, "install", str(project)],
                    env={**environ, "SAFEPIP_PREFLIGHT": preflight},
                    check=False,
                ).returncode
            )
            print(f"[demo] exit status {statuses[-1]}", flush=True)
        print(f"\n$ cat {project / 'pyproject.toml'}", flush=True)
        print((project / "pyproject.toml").read_text(), flush=True)
        imported = subprocess.run(
            [str(python), "-c", "import demo_broken; print('import demo_broken: ok')"],
            env=environ,
            check=False,
        ).returncode
        fresh = make_project(workdir / "fresh")
        print(f"\n$ safepip doctor {fresh}", flush=True)
        doctor = subprocess.run([str(safepip), "doctor", str(fresh)], env=environ, check=False)
        print(f"[demo] exit status {doctor.returncode}", flush=True)
        ok = statuses[0] != 0 and statuses[1] == 0 and imported == 0 and doctor.returncode == 1
        print(f"\n[demo] {'the whole story worked' if ok else 'something did not work'}")
    finally:
        if options.keep:
            print(f"[demo] kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
