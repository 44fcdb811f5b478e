"""Curated facts about build backends and the modules builds most often lack.

Everything here is a plain Python literal so that importing this module costs nothing at start-up.
The tables are deliberately closed: a module or backend that is not listed here gets no
distribution at all, because a distribution guessed from an import name is exactly how a
typosquatted package ends up installed. Sources for every entry are in docs/table-sources.md.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from types import MappingProxyType
from typing import NamedTuple

from safepip.names import canonical_name


class Backend(NamedTuple):
    """A PEP 517 build backend as named in ``[build-system] build-backend``."""

    distribution: str  # the distribution that provides it, as spelled on PyPI
    requirement: str  # what to put in ``requires``: the distribution with a sensible lower bound
    note: str = ""  # anything the user should know (an old backend, a better successor)

    def package(self, path: str) -> str:
        """The import package the distribution provides for backend ``path``.

        ``poetry.core.masonry.api`` -> ``poetry.core``: what a missing backend lacks, whichever
        part of the dotted path Python's error happened to name.
        """
        module = path.split(":", 1)[0]
        return _PACKAGES.get(module, module.split(".", 1)[0])


class Provider(NamedTuple):
    """Which distribution provides an importable top-level module."""

    distribution: str
    requirement: str
    note: str = ""


#: Backend path -> the distribution that provides it. Paths are matched exactly (``module`` or
#: ``module:object``), after stripping spaces.
BACKENDS: dict[str, Backend] = {
    "setuptools.build_meta": Backend("setuptools", "setuptools>=40.8.0"),
    "setuptools.build_meta:__legacy__": Backend(
        "setuptools",
        "setuptools>=40.8.0",
        "the legacy backend pip uses for projects without a build-backend key",
    ),
    "flit_core.buildapi": Backend("flit_core", "flit_core>=3.2"),
    "flit.buildapi": Backend(
        "flit", "flit", "flit.buildapi is the old spelling: flit_core.buildapi is lighter"
    ),
    "flit_scm:buildapi": Backend("flit_scm", "flit_scm"),
    "hatchling.build": Backend("hatchling", "hatchling"),
    "hatchling.ouroboros": Backend("hatchling", "hatchling", "hatchling's own bootstrap backend"),
    "poetry.core.masonry.api": Backend("poetry-core", "poetry-core>=1.0.0"),
    "poetry.masonry.api": Backend(
        "poetry",
        "poetry",
        "poetry.masonry.api pulls in all of Poetry: poetry.core.masonry.api is the modern path",
    ),
    "poetry_dynamic_versioning.backend": Backend(
        "poetry-dynamic-versioning", "poetry-dynamic-versioning"
    ),
    "pdm.backend": Backend("pdm-backend", "pdm-backend"),
    "pdm.pep517.api": Backend(
        "pdm-pep517", "pdm-pep517", "pdm-pep517 is deprecated in favour of pdm-backend"
    ),
    "mesonpy": Backend("meson-python", "meson-python"),
    "scikit_build_core.build": Backend("scikit-build-core", "scikit-build-core"),
    "scikit_build_core.setuptools.build_meta": Backend("scikit-build-core", "scikit-build-core"),
    "maturin": Backend("maturin", "maturin>=1.0"),
    "sipbuild.api": Backend("sip", "sip>=5"),
    "pbr.build": Backend("pbr", "pbr>=5.7.0"),
    "uv_build": Backend("uv_build", "uv_build"),
    "enscons.api": Backend("enscons", "enscons"),
    "whey": Backend("whey", "whey"),
    "trampolim": Backend("trampolim", "trampolim"),
    "pymsbuild": Backend("pymsbuild", "pymsbuild"),
    "cmeel.build": Backend("cmeel", "cmeel"),
    "py_build_cmake.build": Backend("py-build-cmake", "py-build-cmake"),
    "sphinx_theme_builder": Backend("sphinx-theme-builder", "sphinx-theme-builder"),
    "mina.backend": Backend("mina-build", "mina-build"),
    "jupyter_packaging.build_api": Backend("jupyter-packaging", "jupyter-packaging"),
}

#: Backend modules whose distribution provides a dotted (namespace) package.
_PACKAGES: dict[str, str] = {
    "poetry.core.masonry.api": "poetry.core",
    "pdm.backend": "pdm.backend",
    "pdm.pep517.api": "pdm.pep517",
    "scikit_build_core.setuptools.build_meta": "scikit_build_core",
}

#: Import name (top-level module) -> distribution, for modules that builds commonly lack.
#: Only names whose provider is unambiguous are listed.
PROVIDERS: dict[str, Provider] = {
    "Cython": Provider("Cython", "Cython>=0.29"),
    "cython": Provider("Cython", "Cython>=0.29"),
    "numpy": Provider("numpy", "numpy"),
    "pybind11": Provider("pybind11", "pybind11>=2.6"),
    "nanobind": Provider("nanobind", "nanobind"),
    "torch": Provider(
        "torch",
        "torch",
        "torch is large and its build must usually match the torch installed at run time: "
        "building without isolation against the installed torch is often the better fix",
    ),
    "cffi": Provider("cffi", "cffi>=1.0"),
    "setuptools_scm": Provider("setuptools_scm", "setuptools_scm>=6.2"),
    "setuptools_git_versioning": Provider("setuptools-git-versioning", "setuptools-git-versioning"),
    "setuptools_rust": Provider("setuptools-rust", "setuptools-rust"),
    "hatch_vcs": Provider("hatch-vcs", "hatch-vcs"),
    "hatch_fancy_pypi_readme": Provider("hatch-fancy-pypi-readme", "hatch-fancy-pypi-readme"),
    "pkg_resources": Provider(
        "setuptools",
        "setuptools<82",
        "pkg_resources was part of setuptools until setuptools 82 removed it (there is no "
        "separate package called pkg_resources to install)",
    ),
    "distutils": Provider(
        "setuptools",
        "setuptools",
        "Python 3.12 removed distutils; setuptools provides a replacement when it is installed",
    ),
    "setuptools": Provider("setuptools", "setuptools>=40.8.0"),
    "wheel": Provider("wheel", "wheel"),
    "packaging": Provider("packaging", "packaging"),
    "pkgconfig": Provider("pkgconfig", "pkgconfig"),
    "skbuild": Provider("scikit-build", "scikit-build"),
    "scikit_build_core": Provider("scikit-build-core", "scikit-build-core"),
    "mesonpy": Provider("meson-python", "meson-python"),
    "pythran": Provider("pythran", "pythran"),
    "scipy": Provider("scipy", "scipy"),
    "versioneer": Provider("versioneer", "versioneer"),
    "toml": Provider("toml", "toml"),
    "tomli": Provider("tomli", "tomli"),
    "cppy": Provider("cppy", "cppy"),
    "pyarrow": Provider("pyarrow", "pyarrow"),
    "yaml": Provider("PyYAML", "PyYAML"),
    "cv2": Provider("opencv-python", "opencv-python"),
    "sklearn": Provider("scikit-learn", "scikit-learn"),
    "PIL": Provider("Pillow", "Pillow"),
    "jinja2": Provider("Jinja2", "Jinja2"),
    "six": Provider("six", "six"),
    "requests": Provider("requests", "requests"),
    "lxml": Provider("lxml", "lxml"),
    "usb": Provider("pyusb", "pyusb"),
    "flit_core": Provider("flit_core", "flit_core>=3.2"),
    "hatchling": Provider("hatchling", "hatchling"),
    "maturin": Provider("maturin", "maturin>=1.0"),
    "sipbuild": Provider("sip", "sip>=5"),
    "pbr": Provider("pbr", "pbr>=5.7.0"),
    "uv_build": Provider("uv_build", "uv_build"),
    "pip": Provider(
        "pip",
        "pip",
        "pip's isolated build environment has no pip of its own: a setup.py that imports pip "
        "needs it declared",
    ),
}

#: Python 2 standard-library modules that Python 3 renamed or removed: a build that imports one
#: is Python 2 code, and no build requirement makes it build (Python 3.0's "What's New" and PEP
#: 3108). ``No module named 'ConfigParser'`` (MySQL-python 1.2.5) is the common shape.
PYTHON2_MODULES = frozenset(
    {
        "ConfigParser", "urllib2", "StringIO", "cStringIO", "cPickle", "Queue", "httplib",
        "urlparse", "__builtin__", "commands", "HTMLParser", "SocketServer", "xmlrpclib",
        "cookielib", "Cookie", "Tkinter", "tkMessageBox", "thread", "dummy_thread", "copy_reg",
        "UserDict", "UserList", "UserString", "anydbm", "dbhash", "exceptions", "sets", "md5",
        "sha", "new", "compiler", "robotparser", "htmlentitydefs", "BaseHTTPServer",
        "SimpleHTTPServer", "CGIHTTPServer", "popen2", "mimetools", "rfc822", "string_escape",
    }
)  # fmt: skip

#: Standard-library modules removed from Python, with the version that removed them (Python
#: 3.12's and 3.13's "What's New", PEP 594 and PEP 632). ``distutils`` is not listed: setuptools
#: provides a replacement for it (see PROVIDERS).
REMOVED_STDLIB: dict[str, str] = {
    "imp": "3.12", "asynchat": "3.12", "asyncore": "3.12", "smtpd": "3.12",
    "aifc": "3.13", "audioop": "3.13", "cgi": "3.13", "cgitb": "3.13", "chunk": "3.13",
    "crypt": "3.13", "imghdr": "3.13", "mailcap": "3.13", "msilib": "3.13", "nis": "3.13",
    "nntplib": "3.13", "ossaudiodev": "3.13", "pipes": "3.13", "sndhdr": "3.13", "spwd": "3.13",
    "sunau": "3.13", "telnetlib": "3.13", "uu": "3.13", "xdrlib": "3.13", "lib2to3": "3.13",
}  # fmt: skip


class DroppedApi(NamedTuple):
    """Something a build calls that a newer release of one of its build requirements removed."""

    distribution: str  # the build requirement, as spelled on PyPI
    cap: str  # the specifier that keeps the releases that still have it (``<3.0``)
    what: str  # what the build calls, for the explanation
    removed_in: str  # the release that removed it
    #: The first Python on which no release under the cap builds ("" when they all do): the
    #: cap is then no fix there, and none is proposed.
    python_below: str = ""
    #: "removed": the build calls ``what``; "changed": the tool's compiler rejects code that
    #: ``what`` describes (a language change, not a missing name).
    how: str = "removed"


#: The exact line a build prints when a build requirement's newest release no longer has what
#: it calls -> that requirement and the cap that builds it. Only lines read in a real sdist's
#: build are listed, each with its source in docs/table-sources.md.
DROPPED_APIS: dict[str, DroppedApi] = {
    # PyYAML 5.4.1, setup.py: its build_ext subclass calls build_ext.cython_sources, which
    # Cython 3.0 removed (yaml/pyyaml#724; pip 24.3.1 on 3.12 and 26.3 on 3.13).
    "AttributeError: 'build_ext' object has no attribute 'cython_sources'": DroppedApi(
        "Cython", "<3.0", "build_ext.cython_sources", "3.0"
    ),
}

#: Distribution names (normalised) that the tables above know; a ``DistributionNotFound`` or a
#: requirement naming one of these is reported with its distribution.
KNOWN_DISTRIBUTIONS: frozenset[str] = frozenset(
    canonical_name(name)
    for name in [b.distribution for b in BACKENDS.values()]
    + [p.distribution for p in PROVIDERS.values()]
)


def curated_requirement(distribution: str) -> str | None:
    """What the tables put in ``requires`` for ``distribution`` (any spelling): its name with at
    most the tables' lower bound, never a pin, cap or extra; None when no table knows it.

    A name read from a build's output (``The 'numpy==1.0.0' distribution was not found``) is
    looked up here: the log chooses which curated entry, never its version or extras.
    """
    wanted = canonical_name(distribution)
    entries = [(b.distribution, b.requirement) for b in BACKENDS.values()]
    entries += [(p.distribution, p.requirement) for p in PROVIDERS.values()]
    for name, requirement in entries:
        if canonical_name(name) != wanted:
            continue
        bound = requirement[len(name) :].strip()
        lower = bound.startswith(">=") and not set(",;[<=!~@ ") & set(bound[2:])
        if requirement.startswith(name) and (not bound or lower):
            return requirement
        return name
    return None


def backend(path: str | None) -> Backend | None:
    """The distribution behind a backend path, or None when the path is not a known backend."""
    if not path:
        return None
    return BACKENDS.get(path.replace(" ", ""))


def backend_for_module(module: str | None) -> tuple[str, Backend] | None:
    """The known backend that lives in ``module`` (a missing module named in a traceback).

    ``No module named 'flit_core'`` while loading a backend means one of flit_core's backends;
    ``No module named 'poetry'`` one of Poetry's. Returns (backend path, backend).
    """
    if not module:
        return None
    for path, entry in BACKENDS.items():
        backend_module = path.split(":", 1)[0]
        if backend_module == module or backend_module.split(".", 1)[0] == module:
            return path, entry
    return None


#: A user's own providers: ``[mapping]`` of the configuration file (``Config.providers()``).
UserProviders = Mapping[str, Provider]

#: No user's providers (no configuration file, or no ``[mapping]`` in it).
NO_USER_PROVIDERS: UserProviders = MappingProxyType({})


def provider(module: str | None, user: UserProviders = NO_USER_PROVIDERS) -> Provider | None:
    """The distribution that provides an import name; None for anything not in the tables.

    ``user`` (the user's ``[mapping]``, handed down by each command that diagnoses) is consulted
    before the curated table: the user wrote those names down, so they are not guesses.
    """
    if not module:
        return None
    top = module.split(".", 1)[0]
    return user.get(top) or PROVIDERS.get(top)


def closest_backend(path: str) -> str | None:
    """The known backend path a typo most likely meant (``setuptools.build_mata``), if any."""
    candidates = difflib.get_close_matches(path.replace(" ", ""), list(BACKENDS), n=1, cutoff=0.75)
    return candidates[0] if candidates else None


# --- What the static check of [build-system] consults (deciding/static.py) ---------------------

#: Backend path -> (distribution, the earliest release its changelog records as providing it).
#: Only versions read in the projects' own changelogs are listed (docs/doctor.md names them); a
#: ``requires`` entry whose bounds allow nothing from that release on cannot work.
BACKEND_SINCE: dict[str, tuple[str, str]] = {
    # setuptools CHANGES.rst, v36.6.0: "Added setuptools.build_meta module" (#1143).
    "setuptools.build_meta": ("setuptools", "36.6.0"),
    # setuptools CHANGES.rst, v40.8.0: "Added the build_meta:__legacy__ backend" (#1652).
    "setuptools.build_meta:__legacy__": ("setuptools", "40.8.0"),
    # flit doc/history.rst, Version 2.0: "The flit_core package now provides a PEP 517 backend".
    "flit_core.buildapi": ("flit_core", "2.0"),
    # flit doc/history.rst, Version 0.12: "implement the PEP 517 API".
    "flit.buildapi": ("flit", "0.12"),
    # poetry-core CHANGELOG.md: 1.0.0a6 is the first release it records, already with the
    # PEP 517 backend ("Fix PEP-517 issues for projects using build scripts").
    "poetry.core.masonry.api": ("poetry-core", "1.0.0a6"),
}

#: Distributions that install a backend's distribution as their own dependency: declaring the
#: dependent is enough for the backend to be importable (``requires = ["hatch-vcs"]`` brings
#: hatchling), so it is not reported. Each was read in the dependent's ``Requires-Dist`` on PyPI:
#: hatch-vcs 0.5.0, hatch-fancy-pypi-readme 25.1.0, hatch-requirements-txt 0.4.1 and hatch 1.18.2
#: (hatchling), flit 4.2.0 (flit_core), poetry 2.5.1 (poetry-core), setuptools-scm 10.3.4 and
#: setuptools-rust 1.13.0 (setuptools), PyQt-builder 1.21.0 (sip).
PROVIDED_VIA: dict[str, tuple[str, ...]] = {
    "hatchling": ("hatch", "hatch-vcs", "hatch-fancy-pypi-readme", "hatch-requirements-txt"),
    "flit-core": ("flit",),
    "poetry-core": ("poetry",),
    "setuptools": ("setuptools-scm", "setuptools-rust"),
    "sip": ("pyqt-builder",),
}

#: ``[tool.X]`` tables that say which backend a project without ``[build-system]`` was meant for.
TOOL_BACKENDS: dict[str, str] = {
    "poetry": "poetry.core.masonry.api",
    "flit": "flit_core.buildapi",
    "hatch": "hatchling.build",
    "pdm": "pdm.backend",
    "maturin": "maturin",
    "scikit-build": "scikit_build_core.build",
    "meson-python": "mesonpy",
}

#: What pip installs and runs for a project that has no ``[build-system]`` (pip's pyproject.py),
#: and what it assumes when a ``[build-system]`` declares no ``requires`` (PEP 518).
LEGACY_BACKEND = "setuptools.build_meta:__legacy__"
LEGACY_REQUIREMENT = "setuptools>=40.8.0"


#: The start of a line a build tool's own code printed or raised, words the line must also
#: hold (the tool's own file, or its own sentence), and what the tool's release removed -> the
#: cap (sources in docs/table-sources.md). Only lines read in a real sdist's build.
TOOL_REMOVALS: tuple[tuple[str, str, DroppedApi], ...] = (
    # preshed 3.0.5/3.0.6 and murmurhash 1.0.5/1.0.7, setup.py: from distutils import
    # msvccompiler (pip 24.3.1 on 3.12, pip 26.3 on 3.13); setuptools 74.0.0 removed the
    # module, setuptools 73.0.1 still has it.
    (
        "ImportError: cannot import name 'msvccompiler' from 'distutils'",
        "setuptools/_distutils/",
        DroppedApi("setuptools", "<74", "distutils.msvccompiler", "74.0.0"),
    ),
    # anyjson 0.3.3: "error in anyjson setup command: use_2to3 is invalid." (setuptools' own
    # words; v58.0.0 removed 2to3 support). No setuptools before 58 runs on Python 3.12+ (it
    # takes distutils from the standard library: "No module named 'distutils'").
    (
        "error in ",
        " setup command: use_2to3 is invalid.",
        DroppedApi("setuptools", "<58", "use_2to3 (2to3 during the build)", "58.0.0", "3.12"),
    ),
)

#: Cython's own error messages (``file.pyx:L:C: message``, read after ``Error compiling Cython
#: file:``) that a build tool's newer release caused -> the cap. Only messages read in a real
#: sdist's build, each with its source in docs/table-sources.md.
CYTHON_MESSAGES: dict[str, DroppedApi] = {
    # pyduktape2 0.4.3 (pip 24.3.1 on 3.12, pip 26.3 on 3.13): "Cannot assign type 'duk_ret_t
    # (duk_context *) except? -1' to 'duk_c_function' ... Exception values are incompatible.
    # Suggest adding 'noexcept' to the type of 'callback'." Cython 3.0 made cdef functions
    # propagate exceptions; Cython 0.29's C code no longer compiles on Python 3.13.
    "Suggest adding 'noexcept'": DroppedApi(
        "Cython",
        "<3.0",
        "cdef functions propagate exceptions, so a function passed as a C callback needs "
        "'noexcept'",
        "3.0",
        python_below="3.13",
        how="changed",
    ),
    # pyjnius 1.2.1 (pip 24.3.1 on 3.12, pip 26.3 on 3.13): "undeclared name not builtin:
    # long", then "Cannot assign type 'double' to 'jsize'" for len(...) / sizeof(...); fastkde
    # 1.0.19 once numpy<2: "Cannot assign type 'double' to 'long'". Cython 3.0's default
    # language level is 3str (Python 3 semantics): no 'long' builtin, '/' is true division.
    "undeclared name not builtin: long": DroppedApi(
        "Cython",
        "<3.0",
        "the code is compiled with Python 3 semantics, which have no 'long' builtin",
        "3.0",
        python_below="3.13",
        how="changed",
    ),
    "Cannot assign type 'double' to ": DroppedApi(
        "Cython",
        "<3.0",
        "the code is compiled with Python 3 semantics, where '/' gives a float, not an integer",
        "3.0",
        python_below="3.13",
        how="changed",
    ),
    # fastkde 1.0.19 (pip 24.3.1 on 3.12, pip 26.3 on 3.13): "'int_t' is not a type
    # identifier" for np.int_t; numpy 2.0's Cython declarations no longer have it. numpy 1.26.4,
    # the last 1.x, has no wheel for Python 3.13.
    # pykrige 1.6.1 (pip 26.3 on 3.13), whose build gets a Cython before 3.0: numpy 2.0's
    # numpy/__init__.pxd (the header for Cython < 3) stops the build on purpose, "DEF err =
    # int('Build aborted: the NumPy Cython headers require Cython 3.0.0 or newer.')"; numpy
    # 1.26.4's does not.
    "the NumPy Cython headers require Cython 3.0.0 or newer": DroppedApi(
        "numpy",
        "<2",
        "numpy's Cython headers refuse a Cython before 3.0, which this build uses",
        "2.0",
        python_below="3.13",
        how="changed",
    ),
    "'int_t' is not a type identifier": DroppedApi(
        "numpy",
        "<2",
        "numpy's Cython declarations (its __init__.pxd) no longer have the type int_t",
        "2.0",
        python_below="3.13",
        how="changed",
    ),
}


def cap_python_below(requirement: str) -> str:
    """The first Python on which no release under a curated cap (``Cython<3.0``) builds; ""
    when every Python this project supports has one, or the cap is not a curated one."""
    entries = [*DROPPED_APIS.values(), *CYTHON_MESSAGES.values()]
    entries += [entry for _, _, entry in TOOL_REMOVALS]
    for entry in entries:
        if f"{entry.distribution}{entry.cap}" == requirement and entry.python_below:
            return entry.python_below
    return ""


#: Cython 3.0.0's release date (Cython's CHANGES.rst: "3.0.0 (2023-07-17)"). An sdist uploaded
#: before it was written for Cython 0.29: when Cython's compiler rejects its code with a message
#: no table lists, ``Cython<3.0`` is the date fallback (docs/detection.md).
CYTHON_3_RELEASED = "2023-07-17"
#: The line Cython's build ends with when its compiler rejected a file.
CYTHON_COMPILE_ERROR = "Cython.Compiler.Errors.CompileError: "
