"""Distribution names: canonical (PEP 503), the name a requirement names, and the project in an
sdist or wheel file name. The one place for them; ``packaging`` says what each is.

Start-up: the live reading of pip's output calls :func:`canonical_name`, :func:`leading_name` and
:func:`sdist_project` on every install, and an install that needs no fix must not import
packaging (``packaging.utils`` alone costs about 30 to 90 ms; tests/test_startup.py). The file
names and the canonical name are therefore cut here as packaging cuts them (``canonicalize_name``
is PEP 503's regular expression; ``parse_sdist_filename`` and ``parse_wheel_filename`` split at
``-``), and tests/test_names.py holds them to packaging's answers. Only
:func:`requirement_name` needs packaging's parser: it imports it inside the function, and runs
once a build has failed, or in ``safepip doctor``.
"""

from __future__ import annotations

import re

#: The archive suffixes pip accepts for an sdist: ``ARCHIVE_EXTENSIONS`` of pip's
#: ``_internal/utils/filetypes.py`` (pip 20 to 26) without ``.whl``. pip compares them lowercased.
SDIST_SUFFIXES = (
    ".tar.gz",
    ".tgz",
    ".tar",
    ".zip",
    ".tar.bz2",
    ".tbz",
    ".tar.xz",
    ".txz",
    ".tlz",
    ".tar.lz",
    ".tar.lzma",
)
WHEEL_SUFFIX = ".whl"

#: PEP 503: runs of ``-``, ``_`` and ``.`` are one ``-`` (packaging.utils' ``_canonicalize_regex``).
_SEPARATORS = re.compile(r"[-_.]+")
#: PEP 508's name rule at the start of a text: ASCII letters and digits, ``-_.`` only inside.
_LEADING_NAME = re.compile(r"\s*([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)")
#: After a name, these say it is part of a URL or a path, not a requirement (``git+https://``,
#: ``C:\\``, ``proj/sub``): no name is taken from such text.
_NOT_A_REQUIREMENT = frozenset("+:/\\")


def canonical_name(name: str) -> str:
    """PEP 503's normalised name: ``Flit__Core`` -> ``flit-core``.

    ``packaging.utils.canonicalize_name``, written out (see the module's docstring); surrounding
    whitespace is dropped first, as a name cut from pip's line may carry it.
    """
    return _SEPARATORS.sub("-", name.strip()).lower()


def leading_name(text: str) -> str | None:
    """The distribution name a requirement starts with, as written: ``foo[bar]>=1`` -> ``foo``.

    Cheap (no packaging): what the live reading and the static check use. None when the text
    does not start with a name (after whitespace), or when the name runs on into a URL or a path
    (``git+https://...``, ``./proj`` and ``C:\\proj`` name nothing).
    """
    match = _LEADING_NAME.match(text)
    if match is None:
        return None
    rest = text[match.end() :]
    if rest and rest[0] in _NOT_A_REQUIREMENT:
        return None
    return match.group(1)


def requirement_name(text: str) -> str | None:
    """The distribution a requirement names, as written: ``packaging.requirements.Requirement``'s
    ``name`` for a valid PEP 508 requirement (``x[extra] @ https://...``, ``foo; python_version <
    "4"``); for other text, :func:`leading_name` (``flit_core>=`` -> ``flit_core``; ``./proj``
    -> None).
    """
    from packaging.requirements import InvalidRequirement, Requirement

    try:
        return Requirement(text).name
    except InvalidRequirement:
        return leading_name(text)


def sdist_suffix(filename: str) -> str | None:
    """The sdist archive suffix ``filename`` ends with (any case), or None."""
    lowered = filename.lower()
    return next((suffix for suffix in SDIST_SUFFIXES if lowered.endswith(suffix)), None)


def is_sdist(filename: str) -> bool:
    """Whether ``filename`` (a name, path or URL) ends as pip's sdist archives do."""
    return sdist_suffix(filename) is not None


def sdist_project(filename: str) -> str | None:
    """The project in an sdist file name, as written: ``Flit_Core-3.9.0.tar.gz`` -> ``Flit_Core``.

    ``packaging.utils.parse_sdist_filename``'s cut (the stem up to its last ``-``; canonical
    through :func:`canonical_name`), for every suffix pip accepts (packaging knows only
    ``.tar.gz`` and ``.zip``), without judging the version. A path or URL is cut at its last
    ``/`` first, and a URL's fragment (``#sha256=...``) dropped. None without an sdist suffix or
    a ``-``.
    """
    base = filename.split("#", 1)[0].rsplit("/", 1)[-1]
    suffix = sdist_suffix(base)
    if suffix is None:
        return None
    name, dash, _version = base[: -len(suffix)].rpartition("-")
    return name if dash and name else None


def wheel_project(filename: str) -> str | None:
    """The project in a wheel file name, as written: ``remote_widget-1.0-py3-none-any.whl`` ->
    ``remote_widget`` (``packaging.utils.parse_wheel_filename``'s first part; a path or URL is
    cut at its last ``/`` first). None for a name that is not a wheel's."""
    base = filename.rsplit("/", 1)[-1]
    if not base.lower().endswith(WHEEL_SUFFIX) or "-" not in base:
        return None
    return base.split("-", 1)[0] or None
