"""Fetching an sdist that pip downloaded from an index, without building it.

``pip download`` would run the sdist's metadata hooks, which fail on the very missing backend we
are fixing, so the file is fetched directly: from the URL pip printed, or from the index's simple
API page for the project (PEP 503 HTML or PEP 691 JSON), checking the hash the index gives.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import urllib.parse
import urllib.request
from collections.abc import Sequence

from safepip.errors import SafepipError

PYPI_SIMPLE = "https://pypi.org/simple/"
_ACCEPT = "application/vnd.pypi.simple.v1+json, text/html;q=0.5"
_TIMEOUT = 60


def index_urls(index_options: Sequence[str], environ: dict[str, str]) -> list[str]:
    """The indexes pip looks in for this command: its options, then PIP_* variables, then PyPI."""
    primary: str | None = None
    extra: list[str] = []
    for index, word in enumerate(index_options):
        value = index_options[index + 1] if index + 1 < len(index_options) else ""
        if word in {"-i", "--index-url"}:
            primary = value
        elif word == "--extra-index-url":
            extra.append(value)
    if primary is None:
        primary = environ.get("PIP_INDEX_URL") or PYPI_SIMPLE
    extra += environ.get("PIP_EXTRA_INDEX_URL", "").split()
    return [primary, *extra]


def _get(url: str) -> tuple[bytes, str]:
    if not url.startswith(("https://", "http://")):
        raise SafepipError(f"cannot fetch {url}: only http and https indexes are supported")
    request = urllib.request.Request(url, headers={"Accept": _ACCEPT})  # noqa: S310 - scheme checked
    try:
        with urllib.request.urlopen(request, timeout=_TIMEOUT) as response:  # noqa: S310
            return response.read(), response.headers.get("Content-Type", "")
    except OSError as exc:
        raise SafepipError(f"cannot fetch {url}: {exc}") from exc


def _links(page: bytes, content_type: str, base: str) -> list[tuple[str, str]]:
    """(absolute URL, sha256 or "") for each file on a simple-API project page."""
    if "json" in content_type:
        files = json.loads(page).get("files", [])
        return [
            (urllib.parse.urljoin(base, item["url"]), item.get("hashes", {}).get("sha256", ""))
            for item in files
            if isinstance(item, dict) and "url" in item
        ]
    found = []
    for href in re.findall(r"""<a\s[^>]*href=["']([^"']+)["']""", page.decode("utf-8", "replace")):
        url, _, fragment = urllib.parse.urljoin(base, href.replace("&amp;", "&")).partition("#")
        digest = fragment.split("=", 1)[1] if fragment.startswith("sha256=") else ""
        found.append((url, digest))
    return found


def fetch_sdist(location: str, project: str, indexes: Sequence[str], destination: str) -> str:
    """Download the sdist pip named (a file name or a URL) into ``destination``; its path."""
    filename = location.rsplit("/", 1)[-1].split("#", 1)[0]
    candidates: list[tuple[str, str]] = []
    if "://" in location and "****" not in location:  # pip masks credentials: not usable
        candidates.append((location, ""))
    else:
        for index in indexes:
            page_url = index.rstrip("/") + "/" + project + "/"
            try:
                page, content_type = _get(page_url)
            except SafepipError:
                continue
            candidates += [
                (url, digest)
                for url, digest in _links(page, content_type, page_url)
                if urllib.parse.unquote(url.rsplit("/", 1)[-1]) == filename
            ]
            if candidates:
                break
    if not candidates:
        raise SafepipError(f"cannot find {filename} on {', '.join(indexes)}")
    url, digest = candidates[0]
    data, _ = _get(url)
    if digest and hashlib.sha256(data).hexdigest() != digest:
        raise SafepipError(f"{filename} from {url} does not match the index's sha256")
    path = os.path.join(destination, filename)
    with open(path, "wb") as handle:
        handle.write(data)
    return path
