"""The real projects' sdists that tests/test_real_projects.py reads: pinned, fetched once from
PyPI's JSON API into real-sdists/ of the tests' cache (testing.cache; the sha256 checked against
both the table and the JSON's digests), never with ``pip download``: that would run each sdist's
metadata hook and so need its backend. ``python -m testing.prefetch`` fetches them before a run;
the test's fixture otherwise."""

from __future__ import annotations

import hashlib
import json
import re
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from testing.cache import CACHE, file_lock, write_whole

FOLDER = CACHE / "real-sdists"
PYPI_JSON = "https://pypi.org/pypi/{name}/json"

#: (distribution, pinned version, sha256 of its sdist, backend as its pyproject.toml names it).
PROJECTS: list[tuple[str, str, str, str]] = [
    # The backends themselves (most build themselves in-tree).
    ("setuptools", "84.2.1", "3ff8b3b5492a0aa66960f4419365a86b84e013070d4313e4d4a6894f5d64d6bc", "setuptools.build_meta (in-tree)"),  # noqa: E501
    ("flit-core", "4.2.0", "84e4e4d8fdd45ba2613800a3ebc6834de26d47ec9746efc3719f94181137b460", "flit_core.buildapi (in-tree)"),  # noqa: E501
    ("hatchling", "1.33.0", "4c422bd4d554fcff5de5b73e9596f85e41e9f97f7e553d8f7595ecb31a627bef", "hatchling.ouroboros (in-tree)"),  # noqa: E501
    ("poetry-core", "2.5.0", "81d04c9253b19d0604718268d781867c8f7b2128e5b25bbf1e84141eec6b89c4", "poetry.core.masonry.api (in-tree)"),  # noqa: E501
    ("pdm-backend", "2.5.0", "7953b994563d3151755e3364b9d0cfe817ed0eaecdf27c8f777f412d26bcd98a", "pdm.backend.intree (in-tree)"),  # noqa: E501
    ("meson-python", "0.22.1", "52c88628b0e5671592dc2306613fb5f6f3615fd24def059b9894f143b7f9a139", "mesonpy (in-tree)"),  # noqa: E501
    ("scikit-build-core", "1.1.2", "7893709119c5ab1be75cd10442383132c9433b9f104dacef5185949efbea7974", "hatchling.build"),  # noqa: E501
    ("maturin", "1.16.0", "13e69ca12542999d8c5467131de72a49bb76e4c284b9a45c5783df7c0fcb3a8a", "bootstrap (in-tree)"),  # noqa: E501
    ("flit", "4.2.0", "4ab00f544721a241b15e634648f1bfac7268a0ec637f106ce3150939c2e2f4d9", "flit_core.buildapi"),  # noqa: E501
    ("flit-scm", "1.7.0", "961bd6fb24f31bba75333c234145fff88e6de0a90fc0f7e5e7c79deca69f6bb2", "flit_scm:buildapi (in-tree)"),  # noqa: E501
    ("pdm", "2.29.4", "48d013ba869b85538fea268107cd7a2c18fd91a6abf785fa4d7ed5951808582d", "pdm.backend"),  # noqa: E501
    ("poetry", "2.5.1", "19fbd566efced512be58989a756aa1333cdc9b6aabb4fc84fd1ec9d29ee74874", "poetry.core.masonry.api"),  # noqa: E501
    ("uv-build", "0.13.6", "8a03355d73117d136dbf6a34e20429755598a73d752dc6ae3aa5894942b6fd4b", "maturin"),  # noqa: E501
    ("whey", "0.1.1", "97bd9f8dcceeb835e0fdc0e2a89eeba0d566e17f9abbed6ee0003c4b3b356cda", "setuptools.build_meta"),  # noqa: E501
    ("py-build-cmake", "0.5.1", "31a83b12fcc5fddee4d84f36c2d9a2954eb1a7907f5a9cb06f439232859ce513", "py_build_cmake.build (in-tree)"),  # noqa: E501
    ("trampolim", "0.1.0", "f4ca5a4cf6ba7adb252cf1972799da6a63d4d587dc59813a555df2080760c264", "trampolim (in-tree)"),  # noqa: E501
    ("enscons", "0.30.0", "a555d1af3fa98fc19b76adc23b955a4b600b70268298d1b42dc90ae30b3f2a06", "enscons.api (in-tree)"),  # noqa: E501
    ("pymsbuild", "1.2.3", "a7a37b4c1970ffc066b8b3c8b19578cff34819f256970097e573fe6ec12ddcbf", "pymsbuild"),  # noqa: E501
    ("cmeel", "0.62.0", "8dc3d65ea8ba2df9f5590690e66fa8f4f3eaf6cbce754abfe275a6d592f91ef6", "hatchling.build"),  # noqa: E501
    ("mina-build", "0.6.1", "0d781f2888a3b4009ee8cbac29c860fb4a1f190f71c5a3f17141313702ced403", "pdm.backend"),  # noqa: E501
    # Well-known users of each backend.
    ("numpy", "2.5.5", "5cddc243c75114ba845f01b1f87aca1572dbf7b6c2d88636ed3e1d2bccd7f1bf", "mesonpy"),  # noqa: E501
    ("pandas", "3.1.1", "05fed3e3b7c99b226f160e29d7d6cb7ef39638c758cbfe42b3f24ba34f04b859", "mesonpy"),  # noqa: E501
    ("requests", "2.34.2", "f288924cae4e29463698d6d60bc6a4da69c89185ad1e0bcc4104f584e960b9ed", "setuptools.build_meta"),  # noqa: E501
    ("black", "26.10.1", "5f9f83beae62437e060dafd53d7f1fc327e3d3494f74d72ee5c2b73eb90fc4e7", "hatchling.build"),  # noqa: E501
    ("rich", "15.0.0", "edd07a4824c6b40189fb7ac9bc4c52536e9780fbbfbddf6f1e2502c31b068c36", "poetry.core.masonry.api"),  # noqa: E501
    ("pydantic", "2.14.4", "7c19f1d46f8accf55a4617a6116e1ade64840870f397b846a2c53fb9019414ba", "hatchling.build"),  # noqa: E501
    ("cryptography", "50.0.2", "7b46165bb56eb4704e2eaaf86f3c940d19154535d9b0ca7d6d590b04060e00d5", "maturin"),  # noqa: E501
    ("pillow", "13.0.0", "cdcd1ba258178f7356d74170c9a81ba4eab6a5d55748bc402a5a2a6fe6be3510", "backend (in-tree)"),  # noqa: E501
    ("orjson", "3.13.0", "d1de5eb04485110c5da4c657e49168995d55e076b1ce60f1a042e254f4186c4f", "maturin"),  # noqa: E501
    ("pydantic-core", "2.50.5", "1e740886083ff95530d694e6a3f09ed914bcf92a496d16acd307c6c3484fc36d", "maturin"),  # noqa: E501
    ("rpds-py", "2026.9.1", "4793ef7f78268b124b73fa933440f01d258bbae01de9fa53e9080c9ab0425a12", "maturin"),  # noqa: E501
    ("watchfiles", "1.3.0", "99aee4a07847c06820765fd7b1b49ceac4f3f711ccb7d104655a33231de1c207", "maturin"),  # noqa: E501
    ("httpx", "0.28.1", "75e98c5f16b0f35b567856f597f06ff2270a374470a5c2392242528e3e3e42fc", "hatchling.build"),  # noqa: E501
    ("attrs", "26.1.0", "d03ceb89cb322a8fd706d4fb91940737b6642aa36998fe130a9bc96c985eff32", "hatchling.build"),  # noqa: E501
    ("urllib3", "2.8.0", "63bf2ead4c879426ebf22ef2a781eeb4aa3b4ae798a0435506f8687fd5bb9b63", "hatchling.build"),  # noqa: E501
    ("starlette", "1.10.0", "b8399098d4c1e3522734f7235dc79b1fc967f96cf139c81e0fa30479e0685f9b", "hatchling.build"),  # noqa: E501
    ("pygments", "2.21.0", "610ca751c9bc2492b38eb9a38a7fbc93edbbb2d7182edaf34e66ae493dee5c8c", "hatchling.build"),  # noqa: E501
    ("virtualenv", "21.15.11", "6ad11e129f546835ae81d47a27f48ed32dcc4e2a0776014a159bab8895cdb9ac", "hatchling.build"),  # noqa: E501
    ("domdf-python-tools", "3.11.0", "518ac47b27a799a72b01377f21588e41550a59918c25a74fb55fc7d15fbb2434", "hatchling.build"),  # noqa: E501
    ("packaging", "26.4", "c4b671c41ddb9bf26e543c37723610d28fb6bf7affc4da17cf048d419d2c062a", "flit_core.buildapi"),  # noqa: E501
    ("tomli", "2.5.0", "264507556cd8b8c8e7c6ee037cdf443a463f03f4c958e57195e3d369711b8ff6", "flit_core.buildapi"),  # noqa: E501
    ("idna", "3.20", "a7db850025b95ded1eae8a46181a1a6c56c92c96f0e2b005d9ff8dc0210cab44", "flit_core.buildapi"),  # noqa: E501
    ("click", "8.5.1", "9bbfada76703fd1d784b83eea012e3e8c6a001a876543ef104fa56aaaeb072b4", "flit_core.buildapi"),  # noqa: E501
    ("jinja2", "3.1.6", "0137fb05990d35f1275a587e9aee6d56da821fc83491a0fb838183be43f66d6d", "flit_core.buildapi"),  # noqa: E501
    ("docutils", "0.23", "746f5060322511280a1e50eb76846ed6bf2342984b2ac04dc42caa1a8d78799e", "flit_core.buildapi"),  # noqa: E501
    ("wheel", "0.48.0", "94800765601e9171bf5d58d066e640662842bcedcbab982b2c90787a2c987322", "flit_core.buildapi"),  # noqa: E501
    ("pyyaml", "6.0.4", "e24bf71af8a432d7808fabff134d38dfe16d3cbb41f2873bb4b1e42422de0a1a", "_pyyaml_pep517 (in-tree)"),  # noqa: E501
    ("markupsafe", "3.0.4", "2e9ad7dd851bf45fab9f75cbff4cb493fee9979e8d8c7c9c3ee119022518edd6", "setuptools.build_meta"),  # noqa: E501
    ("pytest", "9.2.0", "97c4f3b1f3c7414aa36465e09b8220f1d03627993bd51b1282e193753c80557b", "setuptools.build_meta"),  # noqa: E501
    ("pluggy", "1.7.0", "d1eaa46ebb595891b860ab086b4d09c8588af65ebd4361b8e8f4bb8920b90ba8", "setuptools.build_meta"),  # noqa: E501
    ("iniconfig", "2.3.1", "67f4b9c50da0dedf52af349e7749a80a9057a5031199791b906c3bb3ae878960", "setuptools.build_meta"),  # noqa: E501
    ("fastapi", "0.165.0", "dd94d4128319c1e1d50535ab023ab698f850a4d2822f0e181747b46f4ff3c0ab", "pdm.backend"),  # noqa: E501
    ("typer", "0.29.2", "b1998dc5f2c3dedafa1517a9521fa944cc4dc1fadcea085d81a3b10ebcaeb075", "pdm.backend"),  # noqa: E501
    ("pybind11", "3.1.0", "a1cc06b524ab3edca51f8ad3895f9c4fa20b8b19283173dff4ae781449dc9639", "scikit_build_core.build"),  # noqa: E501
    ("iminuit", "2.33.0", "275f3daa1d4f8c33579b96276d7c5fb680a7cfb6fb8bea9a4245a1500d5d328b", "scikit_build_core.build"),  # noqa: E501
    ("PyQt5", "5.15.11", "fda45743ebb4a27b4b1a51c6d8ef455c4c1b5d610c90d2934c7802b5c1557c52", "sipbuild.api"),  # noqa: E501
    ("stevedore", "5.10.0", "6005f32c09dc3159802a61c04862770e439e32db22f6da78ba56e8a735466882", "pbr.build"),  # noqa: E501
    ("pydata-sphinx-theme", "0.24.0", "bc9050daac696ab62c817e324ef29ee43720c2e6068fde809c76a52d4c788ac2", "sphinx_theme_builder"),  # noqa: E501
    ("poetry-dynamic-versioning", "1.10.1", "b7beb9785f527b56a5ae5011f2951b04ad56dd7e654b74f7e09c2924ed1efa25", "poetry.core.masonry.api"),  # noqa: E501
]  # fmt: skip


class FetchError(Exception):
    """An sdist could not be fetched (offline, say), or PyPI's copy is not the pinned one."""


def cache_file(name: str, version: str, sha256: str) -> Path:
    """Where the sdist of ``name`` ``version`` is kept (its name normalised as PEP 503 says)."""
    return FOLDER / f"{re.sub(r'[-_.]+', '-', name).lower()}-{version}-{sha256[:16]}.sdist"


def fetch_all() -> None:
    """Every sdist of the table not yet in the cache, fetched. One process at a time: the two
    Pythons' runs and their xdist workers fill the same cache. Raises FetchError."""
    FOLDER.mkdir(parents=True, exist_ok=True)
    with file_lock(FOLDER / ".lock"):
        for name, version, sha256, _ in PROJECTS:
            target = cache_file(name, version, sha256)
            if not target.exists():
                try:
                    _download(name, version, sha256, target)
                except (urllib.error.URLError, OSError, TimeoutError, ValueError) as exc:
                    raise FetchError(f"cannot fetch the sdist of {name} {version} ({exc})") from exc


def _download(name: str, version: str, sha256: str, target: Path) -> None:
    """Fetch the sdist through PyPI's JSON API and keep it only if both digests agree."""
    url = PYPI_JSON.format(name=name)
    with urllib.request.urlopen(url, timeout=60) as response:  # noqa: S310 - a fixed https URL
        document = json.load(response)
    files = [
        entry
        for entry in document["releases"].get(version, [])
        if entry["packagetype"] == "sdist" and entry["digests"]["sha256"] == sha256
    ]
    if not files:
        raise FetchError(f"PyPI lists no sdist of {name} {version} with sha256 {sha256}")
    file_url = urllib.parse.urljoin(url, files[0]["url"])  # some mirrors give relative URLs
    with urllib.request.urlopen(file_url, timeout=600) as response:  # noqa: S310
        data = response.read()
    if hashlib.sha256(data).hexdigest() != sha256:
        raise FetchError(f"{name} {version}: sha256 mismatch")
    write_whole(target, data)
