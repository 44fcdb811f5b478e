"""Remembered fixes: offered to pip before it builds, and kept after a fix finished an install.

The offer is a ``--find-links`` folder of exactly the remembered wheels whose sdist the command
would get: pip prefers a wheel to an sdist of the same version, checks the wheel's tags itself,
and pins nothing, so its own resolver decides, and the command runs once without a build. An
entry matches only the same sdist: a local sdist file (on the command line or in a local
``--find-links`` folder) with the same name and sha256, or the same index (masked) the sdist was
fetched from. Nothing is offered under ``--require-hashes`` (pip checks every file against the
user's hashes, which a rebuilt wheel cannot match), ``--no-cache-dir`` (the user asked pip for
no cache), nor when the user turned the memory off. Under ``--no-binary`` the wheel of a project
the command names is passed as a ``NAME @ file://`` constraint, as a fix's own rerun does: it is
the fix the user agreed to.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from safepip.memory import Entry, Store, StoreError, open_store, sha256_of, store_dir, turned_off
from safepip.names import canonical_name, requirement_name, sdist_project, sdist_suffix
from safepip.pipindex import command_index
from safepip.reading.command import PipCommand, iter_options
from safepip.redaction import mask_credentials

_OFFERED_COMMANDS = {"install", "wheel"}
_TRUE = {"1", "true", "yes", "on"}


@dataclass
class Offer:
    """The remembered wheels offered to one command, and what was added to it."""

    folder: str
    entries: list[Entry]
    #: Added to pip's arguments (``--find-links FOLDER``, or ``-c FILE`` under --no-binary).
    args: list[str]
    #: The wheel file names offered, by entry.
    wheels: dict[str, Entry] = field(default_factory=dict)
    #: Words of the command replaced: an sdist file it names, by the wheel of its fix (pip
    #: builds a file it is given by name, whatever else it could find).
    replaced: dict[str, str] = field(default_factory=dict)

    #: The folder pip runs in (it shows paths under it relative to it).
    cwd: str = "/"
    #: The entries pip installed, as seen in its output (``feed_line``).
    seen: list[Entry] = field(default_factory=list)

    def feed_line(self, stream: str, line: str) -> None:
        """A line consumer: ``Processing /FOLDER/NAME-V-....whl`` says pip used an entry."""
        del stream  # pip says it on either
        text = line.strip()
        if not text.startswith("Processing "):
            return
        location = text[len("Processing ") :].split(" (from ", 1)[0].strip()
        if location.startswith("file://"):
            location = location[len("file://") :]
        entry = self.wheels.get(os.path.basename(location))
        if entry is None or entry in self.seen:
            return
        # pip shows a path under its working folder relative to it (``./...``: display_path).
        folder = os.path.dirname(os.path.join(self.cwd, location))
        if os.path.realpath(folder) == os.path.realpath(self.folder):
            self.seen.append(entry)

    def cleanup(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


def offer(  # noqa: PLR0911 - each early return is a reason not to offer
    pip_args: Sequence[str],
    cwd: str,
    environ: Mapping[str, str],
    *,
    configured: bool | None = None,
    prefix: str | None = None,
) -> tuple[Offer | None, str | None]:
    """The offer for this command, if the store has a wheel for it; and a line to say why a
    matching wheel is not offered (``--require-hashes``), if one is not. ``prefix`` is the
    environment pip runs in (its ``pip.conf`` may name the index)."""
    if turned_off(environ, configured) is not None:
        return None, None
    command = PipCommand(pip_args, cwd)
    if command.command not in _OFFERED_COMMANDS:
        return None, None
    if "--no-cache-dir" in command.arguments or _flag(environ, "PIP_NO_CACHE_DIR"):
        return None, None  # the user asked pip for no cache: none of safepip's either
    try:
        store = open_store(environ)
        if store is None:
            return None, None
        with store:
            matching, files = _matching(store.entries(), command, environ, prefix=prefix)
            if not matching:
                return None, None
            if "--require-hashes" in command.arguments or command.hashes:
                names = ", ".join(f"{entry.name} {entry.version}" for entry in matching)
                return None, (
                    f"not offering the remembered fixed wheel of {names}: --require-hashes "
                    "checks every file against your hashes, which a wheel safepip built cannot "
                    "match"
                )
            return _make(store, matching, command, files), None
    except (OSError, ValueError) as exc:
        return None, f"remembered fixes not offered: {exc}"


def _make(
    store: Store, matching: list[Entry], command: PipCommand, files: dict[str, Entry]
) -> Offer:
    folder = tempfile.mkdtemp(prefix="safepip-remembered-")
    try:
        wheels = {entry.wheel: entry for entry in matching}
        paths = {entry.wheel: store.link_wheel(entry, folder) for entry in matching}
        unbinary = _no_binary(command)
        named = _named(command)
        pins = [
            f"{entry.name} @ {Path(paths[entry.wheel]).as_uri()}"
            for entry in matching
            if (":all:" in unbinary or canonical_name(entry.name) in unbinary)
            and canonical_name(entry.name) in named
        ]
        args = ["--find-links", folder]
        if pins:
            # --no-binary would make pip refuse the wheel in the folder: a constraint naming
            # it by URL, which pip follows whatever --no-binary says (applying/rerun.py).
            constraints = os.path.join(folder, "remembered.txt")
            fd = os.open(constraints, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write("".join(pin + "\n" for pin in pins))
            args += ["-c", constraints]
        replaced = {}
        for arg in command.arguments:
            entry = files.get(os.path.realpath(os.path.join(command.cwd, arg)))
            if entry is not None:
                replaced[arg] = paths[entry.wheel]
        return Offer(folder, matching, args, wheels, replaced=replaced, cwd=command.cwd)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise


def _matching(
    entries: list[Entry], command: PipCommand, environ: Mapping[str, str], *, prefix: str | None
) -> tuple[list[Entry], dict[str, Entry]]:
    """The entries whose sdist this command would get (the same file, or the same index), and
    the local sdist files matched (real paths)."""
    files: dict[str, Entry] = {}
    if not entries:
        return [], files
    local = _local_sdists(command, environ)
    index = _index(command, environ, prefix)
    matching = []
    hashes: dict[str, str] = {}
    for entry in entries:
        if entry.index is None:
            for path in local.get(entry.sdist, []):
                if path not in hashes:
                    try:
                        hashes[path] = sha256_of(path)
                    except OSError:
                        hashes[path] = ""
                if hashes[path] == entry.sdist_sha256:
                    files[os.path.realpath(path)] = entry
                    if entry not in matching:
                        matching.append(entry)
        elif index is not None and entry.index.rstrip("/") == index.rstrip("/"):
            matching.append(entry)
    return matching, files


def _local_sdists(
    command: PipCommand, environ: Mapping[str, str] | None = None
) -> dict[str, list[str]]:
    """The local sdist files the command could use, by file name: named, or in a local
    ``--find-links`` folder (of the command line, its requirements files or PIP_FIND_LINKS)."""
    found: dict[str, list[str]] = {}
    candidates = list(command.sdist_files)
    links = [
        value for name, value in iter_options(command.pip_args) if name in {"-f", "--find-links"}
    ]
    links += command.file_find_links
    if environ is not None and "--isolated" not in command.pip_args:
        links += environ.get("PIP_FIND_LINKS", "").split()
    for value in links:
        if value:
            target = value[len("file://") :] if value.startswith("file://") else value
            if "://" in target:
                continue
            folder = os.path.join(command.cwd, target)
            try:
                candidates += [os.path.join(folder, item) for item in sorted(os.listdir(folder))]
            except OSError:
                continue
    for path in candidates:
        if sdist_project(os.path.basename(path)) is not None:
            found.setdefault(os.path.basename(path), []).append(path)
    return found


def _index(command: PipCommand, environ: Mapping[str, str], prefix: str | None) -> str | None:
    """The command's index (masked): its options, PIP_* variables, then pip's configuration
    files; None under --no-index."""
    index = command_index(
        command.pip_args, list(iter_options(command.pip_args)), environ, prefix, command.command
    )
    return None if index is None else mask_credentials(index)


def _no_binary(command: PipCommand) -> set[str]:
    names: set[str] = set()
    for name, value in iter_options(command.pip_args):
        if name == "--no-binary" and value:
            for item in value.split(","):
                names.add(item if item.startswith(":") else canonical_name(item))
    return names


def _named(command: PipCommand) -> set[str]:
    """The projects the command names as requirements (its own words, not -r files)."""
    names = set()
    for name, value in iter_options(command.arguments, positionals=True):
        if name == "" and value:
            project = requirement_name(value)
            if project:
                names.add(canonical_name(project))
    return names


def _flag(environ: Mapping[str, str], name: str) -> bool:
    return environ.get(name, "").strip().lower() in _TRUE


def remember(
    environ: Mapping[str, str],
    built: Sequence[Built],
    *,
    configured: bool | None = None,
    pip_args: Sequence[str] = (),
) -> list[str]:
    """Keep each wheel built from a patched copy after the command succeeded with it; what
    was kept, as lines to say (an error is one line, and changes nothing else)."""
    import datetime

    if turned_off(environ, configured) is not None or not built:
        return []
    if "--no-cache-dir" in pip_args or _flag(environ, "PIP_NO_CACHE_DIR"):
        return []
    said = []
    try:
        with Store(store_dir(environ), create=True) as store:
            for item in built:
                name = os.path.basename(item.wheel)
                record = {
                    "distribution": item.distribution,
                    "version": item.version,
                    "sdist": os.path.basename(item.sdist),
                    "sdist_sha256": (
                        sha256_of(item.sdist) if item.sdist_sha256 is None else item.sdist_sha256
                    ),
                    "index": item.index,
                    "fix": item.fix,
                    "kind": item.kind,
                    "created": datetime.datetime.now(datetime.timezone.utc).strftime(
                        "%Y-%m-%dT%H:%M:%SZ"
                    ),
                }
                if store.add(item.wheel, record):
                    said.append(
                        f"remembered {name} for the next install (safepip memory list; {_OFF_HINT})"
                    )
    except (OSError, StoreError, KeyError) as exc:
        said.append(f"could not remember the fixed wheel: {exc}")
    return said


_OFF_HINT = "SAFEPIP_NO_MEMORY=1 to not keep it"


def lasting_lines(built: Sequence[Built], environ: Mapping[str, str]) -> list[str]:
    """How a user who controls the requirement makes each fix lasting, beyond this machine's
    store: their safepip configuration for added build requirements, a build constraint for a
    cap, and upstream for everyone."""
    from safepip.places import config_file

    said = []
    for item in built:
        name = item.distribution
        ways = []
        if item.requirements:
            listed = ", ".join(f'"{requirement}"' for requirement in item.requirements)
            ways.append(
                f"[extra-build-dependencies] {name} = [{listed}] in {config_file(environ)[0]} "
                "(safepip then adds them without asking, on any machine)"
            )
        if item.constraints:
            listed = ", ".join(f'"{constraint}"' for constraint in item.constraints)
            ways.append(
                f"the build constraint {listed} given to pip wherever it builds {name} "
                "(--build-constraint FILE on pip 25.3 and later, PIP_CONSTRAINT before)"
            )
        upstream = f"for everyone, {name}'s [build-system] needs the change (its maintainers' fix)"
        if ways:
            said.append(f"to make the fix of {name} lasting: {'; and '.join(ways)}; {upstream}")
        else:
            said.append(f"to make the fix of {name} lasting: {upstream}")
    return said


@dataclass(frozen=True)
class Built:
    """A wheel that finished an install after a fix (built from a patched copy by safepip, or
    by pip under a build constraint), and where its sdist came from."""

    wheel: str
    #: The sdist's path; for an sdist only pip fetched (a build constraint's), its file name.
    sdist: str
    #: The index it was fetched from (masked); None for a local file.
    index: str | None
    fix: str
    kind: str
    #: The sdist's sha256 when its file is not at hand (None: read from ``sdist``; "": unknown,
    #: an index's file that only pip downloaded).
    sdist_sha256: str | None = None
    #: The build requirements the fix added, and the caps it gave: what makes it lasting.
    requirements: tuple[str, ...] = ()
    constraints: tuple[str, ...] = ()

    @property
    def distribution(self) -> str:
        return canonical_name(os.path.basename(self.wheel).split("-", 1)[0])

    @property
    def version(self) -> str:
        return os.path.basename(self.wheel).split("-")[1]


def built_by_pip(
    project: str,
    built: tuple[str, str] | None,
    *,
    fix: str,
    kind: str,
    pip_args: Sequence[str],
    cwd: str,
    fetched: Mapping[str, str],
    environ: Mapping[str, str],
    prefix: str | None = None,
    constraints: Sequence[str] = (),
) -> Built | None:
    """The wheel pip built for ``project`` under a fix that patched nothing (a build
    constraint), as something to remember: ``built`` is where pip said it stored it and the
    sha256 it gave (``Created wheel for ...``, ``Stored in directory: ...``). None when the
    wheel is not there as pip described it (an ephemeral cache pip has removed), or its sdist
    cannot be told: a local file must be the one sdist of that name and version the command
    could use; a fetched one must come from the command's index (pip prints a bare file name
    for files on PyPI, the whole URL for other indexes)."""
    if built is None:
        return None
    wheel, sha256 = built
    try:
        if sha256_of(wheel) != sha256:
            return None
    except OSError:
        return None
    version = os.path.basename(wheel).split("-")[1]
    command = PipCommand(pip_args, cwd)
    found = _sdist_of(project, version, command, fetched, environ, prefix=prefix)
    if found is None:
        return None
    sdist, index = found
    # A local file's sha256 is read from it; an index's only pip downloaded is not at hand.
    return Built(
        wheel,
        sdist,
        index,
        fix,
        kind,
        sdist_sha256=None if index is None else "",
        constraints=tuple(constraints),
    )


def _sdist_of(
    project: str,
    version: str,
    command: PipCommand,
    fetched: Mapping[str, str],
    environ: Mapping[str, str],
    *,
    prefix: str | None,
) -> tuple[str, str | None] | None:
    """The sdist pip built ``project`` ``version`` from, and its index (None: a local file)."""
    local = {
        os.path.realpath(path)
        for paths in _local_sdists(command, environ).values()
        for path in paths
        if canonical_name(sdist_project(path) or "") == project
        and _same_version(_sdist_version(path), version)
    }
    if local:
        return (local.pop(), None) if len(local) == 1 else None
    location = fetched.get(project)
    index = _index(command, environ, prefix) if location is not None else None
    if location is None or index is None:
        return None
    where = urlsplit(location).hostname if "://" in location else PYPI_FILES_HOST
    expected = PYPI_FILES_HOST if urlsplit(index).hostname == "pypi.org" else None
    if where not in {expected, urlsplit(index).hostname}:
        return None  # from an extra index, or a link: not keyed by the command's index
    return location.rsplit("/", 1)[-1].split("#", 1)[0], index


#: Where PyPI's files are (pip prints only the file name of those).
PYPI_FILES_HOST = "files.pythonhosted.org"


def _same_version(one: str, other: str) -> bool:
    from packaging.version import InvalidVersion, Version

    try:
        return Version(one) == Version(other)
    except InvalidVersion:
        return one == other


def _sdist_version(path: str) -> str:
    base = os.path.basename(path)
    suffix = sdist_suffix(base) or ""
    return base[: len(base) - len(suffix)].rpartition("-")[2]
