"""A package from an index whose sdist forgets its backend: fetched unbuilt, patched, built.

The index is a real HTTP server on the loopback address, serving a PEP 503 simple page.
"""

from __future__ import annotations

import base64
import contextlib
import functools
import hashlib
import http.server
import shutil
import subprocess
import tarfile
import threading
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import pytest

from safepip.applying.fetch import Network, configured, fetch_sdist, index_urls
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


def file_url(index: str, sdist: Path) -> str:
    """The URL pip prints for the index's file (``Downloading http://127.0.0.1:.../x.tar.gz``)."""
    return index.replace("/simple/", f"/files/{sdist.name}")


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
    path = fetch_sdist(file_url(url, sdist), "flit-missing", [url], str(tmp_path / "out"))
    assert Path(path).read_bytes() == sdist.read_bytes()


def test_a_hash_mismatch_is_refused(index: tuple[str, Path], tmp_path: Path) -> None:
    url, sdist = index
    sdist.write_bytes(sdist.read_bytes() + b"tampered")
    (tmp_path / "out").mkdir()
    with pytest.raises(SafepipError, match="does not match the index's sha256"):
        fetch_sdist(file_url(url, sdist), "flit-missing", [url], str(tmp_path / "out"))
    assert list((tmp_path / "out").iterdir()) == []


@pytest.mark.slow
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
def test_extra_build_dependencies_apply_without_a_prompt(tmp_path: Path, wheelhouse: Path) -> None:
    python = seeded_venv(tmp_path / "venv")
    config = tmp_path / "config.toml"
    # flit_core, not Cython: what is added does not matter here, and a Cython build costs some
    # 6 s of CPU (its wheel in the build environment, a C compile).
    config.write_text('[extra-build-dependencies]\nflit-missing = ["flit_core>=3.2"]\n')
    with serve_index(tmp_path / "index", "flit-missing", "flit-missing") as (url, _):
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
            safepip_argv("install", "flit-missing"),
            env=environ,
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
            check=False,
        )
    assert result.returncode == 0, result.stderr
    assert "your [extra-build-dependencies]" in result.stderr
    assert "applying it without asking" in result.stderr
    imported = subprocess.run([str(python), "-c", "import flit_missing"], env=environ, check=False)
    assert imported.returncode == 0


# -- issue 18, item 5: the sdist safepip patches is the file pip verified -----------------------


class ChangingHandler(QuietHandler):
    """Serves the index's files as they are the first time; from the second request of a file
    on, what the test put in ``later`` (a different file, or a page with another hash)."""

    later: ClassVar[dict[str, bytes]] = {}
    seen: ClassVar[list[tuple[str, str | None]]] = []

    def do_GET(self) -> None:
        self.seen.append((self.path, self.headers.get("Authorization")))
        if self.path in self.later and [p for p, _ in self.seen].count(self.path) > 1:
            body = self.later[self.path]
            self.send_response(200)
            self.send_header("Content-Type", "text/html" if "simple" in self.path else "x/gz")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        super().do_GET()


@contextlib.contextmanager
def changing_index(
    root: Path, later: dict[str, bytes]
) -> Iterator[tuple[str, Path, type[ChangingHandler]]]:
    sdist = make_sdist(root, "flit-missing", "flit-missing")
    digest = hashlib.sha256(sdist.read_bytes()).hexdigest()
    page = root / "simple" / "flit-missing" / "index.html"
    page.parent.mkdir(parents=True)
    page.write_text(f'<a href="../../files/{sdist.name}#sha256={digest}">{sdist.name}</a>\n')
    handler = type("Handler", (ChangingHandler,), {"later": later, "seen": []})
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(handler, directory=str(root))
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/simple/", sdist, handler
    finally:
        server.shutdown()
        server.server_close()


EVIL = b"not the file pip verified"


@pytest.mark.slow
@pytest.mark.every_python  # the interpreter's urllib
def test_a_file_that_changes_between_downloads_is_refused(tmp_path: Path, wheelhouse: Path) -> None:
    """pip gets the good file; safepip's download gets another one: refused, nothing built."""
    python = seeded_venv(tmp_path / "venv")
    later = {"/files/flit_missing-1.0.tar.gz": evil_sdist(tmp_path / "evil")}
    with changing_index(tmp_path / "index", later) as (url, _, _):
        environ = clean_environ(
            {"PIP_INDEX_URL": url, "PIP_FIND_LINKS": str(wheelhouse), "SAFEPIP_PYTHON": str(python)}
        )
        result = subprocess.run(
            safepip_argv("--yes", "install", "--no-cache-dir", "flit-missing"),
            env=environ,
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
            check=False,
        )
    assert result.returncode != 0, result.stderr
    assert "flit_missing-1.0.tar.gz from http://127.0.0.1:" in result.stderr
    assert "does not match the index's sha256: not used" in result.stderr
    assert "Successfully installed" not in result.stdout
    imported = subprocess.run(
        [str(python), "-c", "import flit_missing; print(getattr(flit_missing, 'EVIL', False))"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert "True" not in imported.stdout
    assert imported.returncode != 0  # nothing was installed


def evil_sdist(folder: Path) -> bytes:
    """A valid sdist of the same name and version as the index's, with other code in it."""
    sdist = make_sdist(folder, "flit-missing", "flit-missing")
    project = folder / "src" / "flit_missing-1.0"
    (project / "flit_missing" / "__init__.py").write_text("EVIL = True\n")
    with tarfile.open(sdist, "w:gz") as archive:
        archive.add(project, arcname=project.name)
    return sdist.read_bytes()


def test_the_users_hashes_are_checked_when_the_index_changes_its_page(tmp_path: Path) -> None:
    """An index that serves another file and a page with that file's hash passes the index's
    check; the hash in the user's requirements file (the one pip checked) refuses it."""
    evil_page = (
        f'<a href="../../files/flit_missing-1.0.tar.gz#sha256={hashlib.sha256(EVIL).hexdigest()}">'
        "flit_missing-1.0.tar.gz</a>\n"
    ).encode()
    later = {"/files/flit_missing-1.0.tar.gz": EVIL, "/simple/flit-missing/": evil_page}
    with changing_index(tmp_path / "index", later) as (url, sdist, _):
        good = hashlib.sha256(sdist.read_bytes()).hexdigest()
        (tmp_path / "out").mkdir()
        first = fetch_sdist(file_url(url, sdist), "flit-missing", [url], str(tmp_path / "out"))
        assert Path(first).read_bytes() == sdist.read_bytes()  # pip's download
        Path(first).unlink()
        with pytest.raises(SafepipError, match="does not match the hashes your requirements file"):
            fetch_sdist(
                file_url(url, sdist), "flit-missing", [url], str(tmp_path / "out"), hashes={good}
            )
    assert list((tmp_path / "out").iterdir()) == []


def test_a_page_without_a_hash_is_refused(index: tuple[str, Path], tmp_path: Path) -> None:
    url, sdist = index
    page = sdist.parent.parent / "simple" / "flit-missing" / "index.html"
    page.write_text(f'<a href="../../files/{sdist.name}">{sdist.name}</a>\n')
    (tmp_path / "out").mkdir()
    with pytest.raises(SafepipError, match=r"gives no sha256 for it"):
        fetch_sdist(file_url(url, sdist), "flit-missing", [url], str(tmp_path / "out"))
    assert list((tmp_path / "out").iterdir()) == []


def test_only_the_file_pip_named_is_taken(index: tuple[str, Path], tmp_path: Path) -> None:
    """A bare name is PyPI's file host's (pip prints only those so); a URL must be the page's."""
    url, sdist = index
    (tmp_path / "out").mkdir()
    for location in (sdist.name, "https://elsewhere.example/files/" + sdist.name):
        with pytest.raises(SafepipError, match=r"cannot find .* where pip downloaded it from"):
            fetch_sdist(location, "flit-missing", [url], str(tmp_path / "out"))


def test_netrc_and_url_credentials_reach_the_index(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    netrc_file = tmp_path / "netrc"
    netrc_file.write_text("machine 127.0.0.1 login alice password n3trc\n")
    netrc_file.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc_file))
    with changing_index(tmp_path / "index", {}) as (url, sdist, handler):
        (tmp_path / "out").mkdir()
        fetch_sdist(file_url(url, sdist), "flit-missing", [url], str(tmp_path / "out"))
        with_url = url.replace("http://", "http://bob:T0KEN@")
        (tmp_path / "out2").mkdir()
        network = Network.from_pip([], {}, [with_url])
        location = file_url(url, sdist)
        fetch_sdist(location, "flit-missing", [with_url], str(tmp_path / "out2"), network=network)
    headers = [header for _, header in handler.seen]
    alice = "Basic " + base64.b64encode(b"alice:n3trc").decode()
    bob = "Basic " + base64.b64encode(b"bob:T0KEN").decode()
    assert headers == [alice, alice, bob, bob]


def test_network_options_are_honoured_or_refused(tmp_path: Path) -> None:
    client_options = ["--cert", str(tmp_path / "no-such-ca.pem")]
    network = Network.from_pip(client_options, {}, ["https://example.invalid/simple/"])
    with pytest.raises(SafepipError, match="cannot use pip's --cert"):
        fetch_sdist("x-1.0.tar.gz", "x", ["https://example.invalid/simple/"], str(tmp_path),
                    network=network)  # fmt: skip
    with pytest.raises(SafepipError, match="--keyring-provider subprocess"):
        Network.from_pip(["--keyring-provider", "subprocess"], {}, [])
    with pytest.raises(SafepipError, match="--keyring-provider import"):
        Network.from_pip([], {"PIP_KEYRING_PROVIDER": "import"}, [])
    plain = Network.from_pip([], {}, [])
    trusted = Network.from_pip(["--trusted-host", "index.example"], {}, [])
    for url, secure in (("http://index.example/s", False), ("https://index.example/s", True),
                        ("http://127.0.0.1:8/s", True), ("http://localhost/s", True)):  # fmt: skip
        assert plain.secure(urllib.parse.urlsplit(url)) is secure
    assert trusted.secure(urllib.parse.urlsplit("http://index.example/s"))


def test_the_proxy_option_is_used(tmp_path: Path) -> None:
    """``--proxy``: the request goes to the proxy (a recording stand-in that answers 502)."""
    asked: list[str] = []

    class Proxy(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            asked.append(self.path)
            self.send_error(502)

        def log_message(self, format: str, *args: object) -> None:
            del format, args

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Proxy)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        proxy = f"127.0.0.1:{server.server_address[1]}"
        index = "http://index.example/simple/"
        network = Network.from_pip(["--proxy", proxy, "--trusted-host", "index.example"], {}, [])
        with pytest.raises(SafepipError, match="cannot find"):
            fetch_sdist(index + "x-1.0.tar.gz", "x", [index], str(tmp_path), network=network)
    finally:
        server.shutdown()
        server.server_close()
    assert asked == ["http://index.example/simple/x/"]


def test_downloads_are_read_only_from_pips_own_lines() -> None:
    reader = DownloadsReader()
    lines = [
        "Collecting good",
        "  Downloading good-1.0.tar.gz (1 kB)",
        "  error: subprocess-exited-with-error",
        "  ╰─> [3 lines of output]",
        "  Downloading evil-1.0.tar.gz (1 kB)",
        "      Downloading evil2-1.0.tar.gz (1 kB)",
        "      [end of output]",
        "  Running command Getting requirements to build wheel",
        "  Downloading evil3-1.0.tar.gz (1 kB)",
        "  Getting requirements to build wheel: finished with status 'done'",
        "Collecting other",
        "        Downloading nested-1.0.tar.gz (1 kB)",
        "  Using cached other-2.0.tar.gz (1 kB)",
    ]
    for line in lines:
        reader.feed_line("stdout", line)
    assert reader.sdists == {"good": "good-1.0.tar.gz", "other": "other-2.0.tar.gz"}


def test_pips_configuration_files_are_read_as_pip_reads_them() -> None:
    listing = "\n".join(
        [
            "global.index-url='https://user:tok@private.example/simple'",
            "global.trusted-host='a.example b.example'",
            "global.cert='/global.pem'",
            "install.cert='/install.pem'",
            "wheel.proxy='wheel-only:3128'",
            ":env:.index-url='from the environment, read elsewhere'",
            "global.constraint='/not/a/network/option.txt'",
        ]
    )
    assert configured(listing, "install") == {
        "PIP_INDEX_URL": "https://user:tok@private.example/simple",
        "PIP_TRUSTED_HOST": "a.example b.example",
        "PIP_CERT": "/install.pem",
    }


@pytest.mark.slow
def test_the_index_of_pips_configuration_file_is_used(tmp_path: Path, wheelhouse: Path) -> None:
    """No index on the command line or in the environment: pip's configuration file names it,
    and safepip fetches from it (not from PyPI)."""
    python = seeded_venv(tmp_path / "venv")
    with changing_index(tmp_path / "index", {}) as (url, _, handler):
        config = tmp_path / "pip.conf"
        config.write_text(f"[global]\nindex-url = {url}\n")
        environ = clean_environ(
            {
                "PIP_CONFIG_FILE": str(config),
                "PIP_FIND_LINKS": str(wheelhouse),
                "SAFEPIP_PYTHON": str(python),
            }
        )
        result = subprocess.run(
            safepip_argv("--yes", "install", "flit-missing"),
            env=environ,
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
            check=False,
        )
    assert result.returncode == 0, result.stderr
    assert "Successfully installed flit-missing-1.0" in result.stdout
    files = [path for path, _ in handler.seen if path.startswith("/files/")]
    assert len(files) == 2  # pip's download, then safepip's


@pytest.mark.slow
def test_an_index_sdist_fixed_once_is_reused_from_that_index_only(
    tmp_path: Path, wheelhouse: Path
) -> None:
    """The store of fixed wheels (safepip.memory): the second venv installs with one pip run
    from the same index; another index's sdist of the same version is built as pip would."""

    def environ(venv: str, url: str) -> dict[str, str]:
        python = seeded_venv(tmp_path / venv)
        values = clean_environ(
            {
                "PIP_INDEX_URL": url,
                "PIP_FIND_LINKS": str(wheelhouse),
                "SAFEPIP_PYTHON": str(python),
                "SAFEPIP_CACHE_DIR": str(tmp_path / "cache"),
            }
        )
        values.pop("SAFEPIP_NO_MEMORY")
        return values

    def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            safepip_argv(*args), env=env, capture_output=True, text=True,
            stdin=subprocess.DEVNULL, check=False,
        )  # fmt: skip

    with serve_index(tmp_path / "index", "flit-missing", "flit-missing") as (url, _):
        first = run(["--yes", "install", "flit-missing"], environ("one", url))
        assert first.returncode == 0, first.stderr
        assert "safepip: remembered flit_missing-1.0-py3-none-any.whl" in first.stderr
        second = run(["install", "flit-missing"], environ("two", url))
        assert second.returncode == 0, second.stderr
        assert "safepip: reused the remembered fixed wheel of flit-missing 1.0" in second.stderr
        assert "could not be built" not in second.stderr
    with serve_index(tmp_path / "other", "flit-missing", "flit-missing") as (other, _):
        third = run(["install", "flit-missing"], environ("three", other))
    assert third.returncode != 0
    assert "reused" not in third.stderr
