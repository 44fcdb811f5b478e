"""Fetching an sdist that pip downloaded from an index, without building it, verified.

The sdist safepip patches must be the file pip verified. ``pip download`` cannot fetch it: it
prepares the sdist's metadata, which runs the very build hook that fails on the backend we are
fixing (with and without ``--no-build-isolation``). So the file is fetched here, under pip's own
rules (docs/security.md, "Downloads"):

- only from the index's simple page for the project (PEP 503 HTML or PEP 691 JSON), and only a
  file the page lists with its sha256, which the downloaded bytes must match; a page without one
  is refused. When pip printed where it downloaded from, the page's link must be that URL (pip
  prints a bare file name only for PyPI's file host), so an extra index cannot substitute its own
  file of the same name; the hashes a requirements file gives for the project are checked too.
- with pip's network options, from its command line, its PIP_* variables and its configuration
  files (``pip config list``): ``--cert``/``PIP_CERT`` (and requests' CA bundle variables),
  ``--client-cert``, ``--trusted-host`` (plain http only for a trusted or loopback host, as pip),
  ``--proxy`` and the environment's proxies, ``--timeout``, credentials in the index URL and the
  netrc file (sent only to the host they belong to, and never across a redirect). What it cannot
  honour (``--keyring-provider``) is refused in one line naming the option.
"""

from __future__ import annotations

import ast
import base64
import hashlib
import ipaddress
import json
import netrc
import os
import re
import ssl
import subprocess
import urllib.parse
import urllib.request
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field

from safepip.errors import SafepipError
from safepip.redaction import mask_credentials

PYPI_SIMPLE = "https://pypi.org/simple/"
_YES = {"1", "true", "yes", "on"}
#: pip prints a bare file name, not the URL, for files on PyPI's file host (pip's download.py).
PYPI_FILES = "files.pythonhosted.org"
_ACCEPT = "application/vnd.pypi.simple.v1+json, text/html;q=0.5"
_TIMEOUT = 60.0
#: An sdist larger than this is not fetched (PyPI's own upload limit is far below it).
_MAX_BYTES = 1024 * 1024 * 1024


def index_urls(index_options: Sequence[str], environ: Mapping[str, str]) -> list[str]:
    """The indexes pip looks in for this command: its options, then PIP_* variables, then PyPI."""
    primary: str | None = None
    extra: list[str] = []
    for index, word in enumerate(index_options):
        value = index_options[index + 1] if index + 1 < len(index_options) else ""
        if word in {"-i", "--index-url"}:
            primary = value
        elif word == "--extra-index-url":
            extra.append(value)
    if "--no-index" in index_options or environ.get("PIP_NO_INDEX", "").lower() in _YES:
        return []
    if primary is None:
        primary = environ.get("PIP_INDEX_URL") or PYPI_SIMPLE
    extra += environ.get("PIP_EXTRA_INDEX_URL", "").split()
    return [primary, *extra]


#: pip's configuration-file options that say where and how the fetch goes, as the PIP_*
#: variables that stand for them.
_CONFIGURED = {
    "index-url": "PIP_INDEX_URL",
    "extra-index-url": "PIP_EXTRA_INDEX_URL",
    "cert": "PIP_CERT",
    "client-cert": "PIP_CLIENT_CERT",
    "trusted-host": "PIP_TRUSTED_HOST",
    "proxy": "PIP_PROXY",
    "timeout": "PIP_TIMEOUT",
    "default-timeout": "PIP_DEFAULT_TIMEOUT",
    "keyring-provider": "PIP_KEYRING_PROVIDER",
    "no-index": "PIP_NO_INDEX",
}


def configured(listing: str, command: str | None) -> dict[str, str]:
    """pip's configuration files (``pip config list``: ``section.key='value'``) as the PIP_*
    variables that would say the same: the ``global`` section, then the command's, which wins
    (pip's order; its environment, read elsewhere, wins over both)."""
    found: dict[str, dict[str, str]] = {}
    for line in listing.splitlines():
        key, equals, value = line.partition("=")
        section, _, option = key.partition(".")
        if not equals or option not in _CONFIGURED or section not in {"global", command}:
            continue
        try:
            text = ast.literal_eval(value)
        except (ValueError, SyntaxError):
            continue
        if isinstance(text, str):
            found.setdefault(section, {})[_CONFIGURED[option]] = text
    return {**found.get("global", {}), **found.get(command or "global", {})}


def pip_environ(
    prefix: Sequence[str], command: str | None, index_options: Sequence[str]
) -> dict[str, str]:
    """The environment the fetch reads pip's settings from: pip's configuration files under
    its PIP_* variables (``--isolated``: neither, as pip)."""
    if "--isolated" in index_options:
        return {}
    try:
        listing = subprocess.run(
            [*prefix, "config", "list"],
            capture_output=True,
            text=True,
            timeout=_TIMEOUT,
            check=False,
            stdin=subprocess.DEVNULL,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        listing = ""  # an old pip without `config`: its files are not honoured, its env is
    return {**configured(listing, command), **os.environ}


@dataclass(frozen=True)
class Network:
    """pip's network options for this command (its options first, then its PIP_* variables)."""

    cert: str | None = None
    client_cert: str | None = None
    trusted_hosts: frozenset[str] = frozenset()
    proxy: str | None = None
    timeout: float = _TIMEOUT
    #: Credentials given in the index URLs, by host (``host:port``).
    credentials: Mapping[str, tuple[str, str]] = field(default_factory=dict)

    @classmethod
    def from_pip(
        cls, index_options: Sequence[str], environ: Mapping[str, str], indexes: Sequence[str]
    ) -> Network:
        values: dict[str, list[str]] = {}
        for index, word in enumerate(index_options):
            if word.startswith("-") and index + 1 < len(index_options):
                values.setdefault(word, []).append(index_options[index + 1])

        def last(option: str, variable: str) -> str | None:
            given = values.get(option)
            return given[-1] if given else (environ.get(variable) or None)

        keyring = last("--keyring-provider", "PIP_KEYRING_PROVIDER")
        if keyring not in {None, "auto", "disabled"}:
            raise SafepipError(
                f"cannot fetch with --keyring-provider {keyring}: safepip does not use keyring "
                "(download the sdist and name its file in the command instead)"
            )
        trusted = values.get("--trusted-host", []) + environ.get("PIP_TRUSTED_HOST", "").split()
        timeout = last("--timeout", "PIP_TIMEOUT") or last(
            "--default-timeout", "PIP_DEFAULT_TIMEOUT"
        )
        try:
            seconds = float(timeout) if timeout else _TIMEOUT
        except ValueError:
            seconds = _TIMEOUT
        credentials = {}
        for url in indexes:
            parts = urllib.parse.urlsplit(url)
            if parts.username is not None and parts.hostname:
                user = urllib.parse.unquote(parts.username)
                password = urllib.parse.unquote(parts.password or "")
                credentials[_host_port(parts)] = (user, password)
        return cls(
            cert=last("--cert", "PIP_CERT")
            or environ.get("REQUESTS_CA_BUNDLE")
            or environ.get("CURL_CA_BUNDLE")
            or None,
            client_cert=last("--client-cert", "PIP_CLIENT_CERT"),
            trusted_hosts=frozenset(host.lower() for host in trusted),
            proxy=last("--proxy", "PIP_PROXY"),
            timeout=seconds,
            credentials=credentials,
        )

    def trusted(self, parts: urllib.parse.SplitResult) -> bool:
        """pip's ``--trusted-host``: the host, or the host and port, is trusted."""
        host = (parts.hostname or "").lower()
        return host in self.trusted_hosts or _host_port(parts) in self.trusted_hosts

    def secure(self, parts: urllib.parse.SplitResult) -> bool:
        """pip's secure origins: https, a loopback host, or a trusted host."""
        if parts.scheme == "https" or self.trusted(parts):
            return True
        try:
            return ipaddress.ip_address(parts.hostname or "").is_loopback
        except ValueError:
            return (parts.hostname or "").lower() == "localhost"


def _host_port(parts: urllib.parse.SplitResult) -> str:
    host = (parts.hostname or "").lower()
    return f"{host}:{parts.port}" if parts.port else host


def _without_userinfo(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    netloc = parts.netloc.rsplit("@", 1)[-1]
    return urllib.parse.urlunsplit((parts.scheme, netloc, parts.path, parts.query, ""))


class _Client:
    """GETs under pip's network options."""

    def __init__(self, network: Network) -> None:
        self._network = network

    def _context(self, parts: urllib.parse.SplitResult) -> ssl.SSLContext:
        try:
            context = ssl.create_default_context(cafile=self._network.cert)
            if self._network.client_cert:
                context.load_cert_chain(self._network.client_cert)
        except (OSError, ssl.SSLError) as exc:
            raise SafepipError(f"cannot use pip's --cert/--client-cert: {exc}") from exc
        if self._network.trusted(parts):
            # pip's --trusted-host: its certificate is not checked either.
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        return context

    def _authorization(self, parts: urllib.parse.SplitResult) -> str | None:
        if parts.username is not None:
            user = urllib.parse.unquote(parts.username)
            password = urllib.parse.unquote(parts.password or "")
        elif _host_port(parts) in self._network.credentials:
            user, password = self._network.credentials[_host_port(parts)]
        else:
            found = _netrc_login(parts.hostname or "")
            if found is None:
                return None
            user, password = found
        token = base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
        return f"Basic {token}"

    def get(self, url: str, *, accept: str = "*/*") -> tuple[bytes, str, str]:
        """(body, content type, final URL without credentials)."""
        parts = urllib.parse.urlsplit(url)
        shown = mask_credentials(url)
        if parts.scheme not in {"https", "http"}:
            raise SafepipError(f"cannot fetch {shown}: only http and https indexes are supported")
        if not self._network.secure(parts):
            raise SafepipError(
                f"cannot fetch {shown}: plain http to a host that is not trusted (pip's "
                "--trusted-host)"
            )
        plain = _without_userinfo(url)
        request = urllib.request.Request(plain, headers={"Accept": accept})  # noqa: S310 - http(s)
        authorization = self._authorization(parts)
        if authorization:
            # Unredirected: a redirect to another host never carries the credentials.
            request.add_unredirected_header("Authorization", authorization)
        handlers: list[urllib.request.BaseHandler] = [
            urllib.request.HTTPSHandler(context=self._context(parts))
        ]
        if self._network.proxy is not None:
            proxy = self._network.proxy
            if proxy and "://" not in proxy:
                proxy = "http://" + proxy
            handlers.append(urllib.request.ProxyHandler({"http": proxy, "https": proxy}))
        opener = urllib.request.build_opener(*handlers)
        try:
            with opener.open(request, timeout=self._network.timeout) as response:
                final = urllib.parse.urlsplit(response.geturl())
                if not self._network.secure(final):
                    raise SafepipError(f"cannot fetch {shown}: redirected to plain http")
                data = response.read(_MAX_BYTES + 1)
                if len(data) > _MAX_BYTES:
                    raise SafepipError(f"cannot fetch {shown}: larger than 1 GiB")
                content_type = response.headers.get("Content-Type", "")
                return data, content_type, _without_userinfo(response.geturl())
        except OSError as exc:
            raise SafepipError(f"cannot fetch {shown}: {mask_credentials(str(exc))}") from exc


def _netrc_login(host: str) -> tuple[str, str] | None:
    """The netrc file's login for ``host`` ($NETRC, else ~/.netrc), as requests gives pip."""
    path = os.environ.get("NETRC") or os.path.expanduser("~/.netrc")
    try:
        entry = netrc.netrc(path).authenticators(host)
    except (OSError, netrc.NetrcParseError):
        return None
    if entry is None:
        return None
    login, _account, password = entry
    return (login or "", password or "")


def _links(page: bytes, content_type: str, base: str) -> list[tuple[str, str]]:
    """(absolute URL without fragment, sha256 or "") for each file on a simple-API page."""
    if "json" in content_type:
        try:
            files = json.loads(page).get("files", [])
        except (ValueError, AttributeError):
            return []
        found = []
        for item in files if isinstance(files, list) else []:
            if not isinstance(item, dict) or not isinstance(item.get("url"), str):
                continue
            hashes = item.get("hashes")
            digest = hashes.get("sha256", "") if isinstance(hashes, dict) else ""
            url = urllib.parse.urljoin(base, item["url"]).partition("#")[0]
            found.append((url, digest if isinstance(digest, str) else ""))
        return found
    found = []
    for href in re.findall(r"""<a\s[^>]*href=["']([^"']+)["']""", page.decode("utf-8", "replace")):
        url, _, fragment = urllib.parse.urljoin(base, href.replace("&amp;", "&")).partition("#")
        digest = fragment.split("=", 1)[1] if fragment.startswith("sha256=") else ""
        found.append((url, digest))
    return found


def _origin_matches(url: str, printed: str | None) -> bool:
    """Whether ``url`` (a page's link) is where pip said it downloaded from."""
    if printed is None:
        return urllib.parse.urlsplit(url).hostname == PYPI_FILES
    return _without_userinfo(url) == _without_userinfo(printed)


def fetch_sdist(
    location: str,
    project: str,
    indexes: Sequence[str],
    destination: str,
    *,
    network: Network | None = None,
    hashes: Collection[str] = (),
) -> str:
    """Download the sdist pip named (its file name or URL) into ``destination``, verified
    against the index's sha256 (required) and ``hashes`` (the user's, when given); its path."""
    network = network if network is not None else Network.from_pip([], {}, indexes)
    client = _Client(network)
    filename = urllib.parse.unquote(location.rsplit("/", 1)[-1].split("#", 1)[0])
    printed = location.split("#", 1)[0] if "://" in location else None
    if not indexes:
        raise SafepipError(f"cannot fetch {filename}: no index to check its sha256 against")
    found: tuple[str, str, str] | None = None
    problems: list[str] = []
    for index in indexes:
        page_url = index.rstrip("/") + "/" + project + "/"
        try:
            page, content_type, final = client.get(page_url, accept=_ACCEPT)
        except SafepipError as exc:
            problems.append(str(exc))  # another index may list it: said if none does
            continue
        for url, digest in _links(page, content_type, final):
            name = urllib.parse.unquote(url.rsplit("/", 1)[-1])
            if name == filename and _origin_matches(url, printed):
                found = (url, digest.lower(), mask_credentials(page_url))
                break
        if found:
            break
    if found is None:
        where = ", ".join(mask_credentials(index) for index in indexes)
        why = f" ({'; '.join(problems)})" if problems else ""
        raise SafepipError(f"cannot find {filename} where pip downloaded it from on {where}{why}")
    url, digest, page_shown = found
    if not re.fullmatch(r"[0-9a-f]{64}", digest):
        raise SafepipError(
            f"cannot verify {filename}: {page_shown} gives no sha256 for it, and safepip patches "
            "only a file it can check (download the sdist and name its file in the command)"
        )
    data, _, _ = client.get(url)
    actual = hashlib.sha256(data).hexdigest()
    if actual != digest:
        raise SafepipError(
            f"{filename} from {mask_credentials(url)} does not match the index's sha256: not used"
        )
    wanted = {value.lower() for value in hashes}
    if wanted and actual not in wanted:
        raise SafepipError(
            f"{filename} from {mask_credentials(url)} does not match the hashes your "
            "requirements file gives for it: not used"
        )
    path = os.path.join(destination, os.path.basename(filename))
    with open(path, "xb") as handle:
        handle.write(data)
    return path


def upload_time(
    location: str,
    project: str,
    prefix: Sequence[str],
    command: str | None,
    index_options: Sequence[str],
) -> str | None:
    """When the index uploaded the file pip named (PEP 700 ``upload-time`` on the project's
    JSON simple page), under pip's own network settings; None when no index says so (an HTML
    page, an index without it, no network). Never raises: the date is a hint for a fix."""
    filename = urllib.parse.unquote(location.rsplit("/", 1)[-1].split("#", 1)[0])
    try:
        environ = pip_environ(prefix, command, index_options)
        indexes = index_urls(index_options, environ)
        client = _Client(Network.from_pip(index_options, environ, indexes))
        for index in indexes:
            try:
                page, content_type, _ = client.get(
                    index.rstrip("/") + "/" + project + "/",
                    accept="application/vnd.pypi.simple.v1+json",
                )
            except SafepipError:
                continue
            found = _upload_time(page, content_type, filename)
            if found is not None:
                return found
    except SafepipError:
        return None
    return None


def _upload_time(page: bytes, content_type: str, filename: str) -> str | None:
    if "json" not in content_type:
        return None
    try:
        files = json.loads(page).get("files", [])
    except (ValueError, AttributeError):
        return None
    for item in files if isinstance(files, list) else []:
        if isinstance(item, dict) and item.get("filename") == filename:
            value = item.get("upload-time")
            return value if isinstance(value, str) and value[:4].isdigit() else None
    return None
