"""A package from an index whose sdist forgets its backend: fetched unbuilt, patched, built.

The index is a real HTTP server on the loopback address, serving a PEP 503 simple page.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import http.server
import shutil
import subprocess
import tarfile
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from safepip.applying.fetch import fetch_sdist, index_urls
from safepip.errors import SafepipError
from safepip.reading.downloads import DownloadsReader
from testing.environ import clean_environ, safepip_argv
from testing.paths import PROJECTS
from testing.venvs import seeded_venv


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        del format, args


def make_sdist(folder: Path, fixture: str, name: str) -> Path:
    base = f"{name.replace('-', '_')}-1.0"
    project = folder / "src" / base
    shutil.copytree(PROJECTS / fixture, project)
    (project / "PKG-INFO").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n")
    sdist = folder / "files" / f"{base}.tar.gz"
    sdist.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(sdist, "w:gz") as archive:
        archive.add(project, arcname=project.name)
    return sdist


@contextlib.contextmanager
def serve_index(root: Path, fixture: str, name: str) -> Iterator[tuple[str, Path]]:
    """A simple index on 127.0.0.1 with one project; (its URL, the sdist)."""
    sdist = make_sdist(root, fixture, name)
    digest = hashlib.sha256(sdist.read_bytes()).hexdigest()
    page = root / "simple" / name / "index.html"
    page.parent.mkdir(parents=True)
    page.write_text(
        f'<html><body><a href="../../files/{sdist.name}#sha256={digest}">{sdist.name}</a>'
        "</body></html>\n"
    )
    handler = functools.partial(QuietHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/simple/", sdist
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def index(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    with serve_index(tmp_path / "index", "flit-missing", "flit-missing") as served:
        yield served


def test_downloads_reader_records_sdists_by_project() -> None:
    reader = DownloadsReader()
    reader.feed_line("stdout", "  Downloading flit_missing-1.0.tar.gz (1.2 kB)")
    reader.feed_line("stdout", "  Using cached Other.Project-2.0.zip (3 kB)")
    reader.feed_line("stdout", "  Downloading https://h/p/x_y-3.tar.gz (4 kB)")
    reader.feed_line("stdout", "  Downloading wheelish-1.0-py3-none-any.whl (1 kB)")
    assert reader.sdists == {
        "flit-missing": "flit_missing-1.0.tar.gz",
        "other-project": "Other.Project-2.0.zip",
        "x-y": "https://h/p/x_y-3.tar.gz",
    }


def test_index_urls_follow_pips_order() -> None:
    assert index_urls(["-i", "https://a/simple", "--extra-index-url", "https://b"], {}) == [
        "https://a/simple",
        "https://b",
    ]
    assert index_urls([], {"PIP_INDEX_URL": "https://c", "PIP_EXTRA_INDEX_URL": "https://d"}) == [
        "https://c",
        "https://d",
    ]
    assert index_urls([], {}) == ["https://pypi.org/simple/"]


def test_fetch_by_name_from_the_simple_page(index: tuple[str, Path], tmp_path: Path) -> None:
    url, sdist = index
    (tmp_path / "out").mkdir()
    path = fetch_sdist("flit_missing-1.0.tar.gz", "flit-missing", [url], str(tmp_path / "out"))
    assert Path(path).read_bytes() == sdist.read_bytes()


def test_a_hash_mismatch_is_refused(index: tuple[str, Path], tmp_path: Path) -> None:
    url, sdist = index
    sdist.write_bytes(sdist.read_bytes() + b"tampered")
    (tmp_path / "out").mkdir()
    with pytest.raises(SafepipError, match="does not match the index's sha256"):
        fetch_sdist("flit_missing-1.0.tar.gz", "flit-missing", [url], str(tmp_path / "out"))
    assert list((tmp_path / "out").iterdir()) == []


@pytest.mark.slow
@pytest.mark.builds
def test_install_from_an_index_builds_a_patched_copy(
    index: tuple[str, Path], tmp_path: Path, wheelhouse: Path
) -> None:
    url, sdist = index
    before = sdist.read_bytes()
    python = seeded_venv(tmp_path / "venv")
    environ = clean_environ(
        {"PIP_INDEX_URL": url, "PIP_FIND_LINKS": str(wheelhouse), "SAFEPIP_PYTHON": str(python)}
    )
    run = functools.partial(
        subprocess.run,
        env=environ,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    dry = run(safepip_argv("install", "flit-missing"))
    assert dry.returncode != 0
    assert "build flit_missing-1.0.tar.gz from a patched copy" in dry.stderr
    result = run(safepip_argv("--yes", "install", "flit-missing"))
    assert result.returncode == 0, result.stderr
    assert "Successfully installed flit-missing-1.0" in result.stdout
    imported = run([str(python), "-c", "import flit_missing"])
    assert imported.returncode == 0
    assert sdist.read_bytes() == before


@pytest.mark.slow
@pytest.mark.builds
def test_extra_build_dependencies_apply_without_a_prompt(tmp_path: Path, wheelhouse: Path) -> None:
    python = seeded_venv(tmp_path / "venv")
    config = tmp_path / "config.toml"
    config.write_text('[extra-build-dependencies]\ncython-undeclared = ["Cython>=0.29"]\n')
    with serve_index(tmp_path / "index", "cython-undeclared", "cython-undeclared") as (url, _):
        environ = clean_environ(
            {
                "PIP_INDEX_URL": url,
                "PIP_FIND_LINKS": str(wheelhouse),
                "SAFEPIP_PYTHON": str(python),
                "SAFEPIP_CONFIG": str(config),
            }
        )
        # No terminal and no --yes: only the configuration speaks for the user.
        result = subprocess.run(
            safepip_argv("install", "cython-undeclared"),
            env=environ,
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
            check=False,
        )
    assert result.returncode == 0, result.stderr
    assert "your [extra-build-dependencies]" in result.stderr
    assert "applying it without asking" in result.stderr
    imported = subprocess.run(
        [str(python), "-c", "import cython_undeclared"], env=environ, check=False
    )
    assert imported.returncode == 0
