"""Reading pip's command line: which local projects, sdists and options a command names.

safepip acts only on what the user's command names: a pyproject.toml is patched only when its
project is on the command line (a path, ``-e DIR``, or a path inside a ``-r`` file), never because
a log line mentions some path.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Iterator, Sequence
from urllib.parse import unquote, urlsplit

from safepip.names import canonical_name, is_sdist
from safepip.options import PIP_GLOBAL_OPTIONS_WITH_VALUE, command_index

#: Options of install/wheel/download (pip 21.3 to 26.x) that take a value, so that the value is
#: not mistaken for a requirement.
OPTIONS_WITH_VALUE = PIP_GLOBAL_OPTIONS_WITH_VALUE | {
    "-r", "--requirement", "-c", "--constraint", "-e", "--editable", "-t", "--target",
    "-d", "--dest", "--destination-dir", "--destination-directory", "-w", "--wheel-dir",
    "--platform", "--python-version", "--implementation", "--abi", "--root", "--prefix",
    "--src", "--source", "--source-dir", "--source-directory", "--upgrade-strategy",
    "--install-option", "--global-option", "--build-option", "-C", "--config-settings",
    "-i", "--index-url", "--pypi-url", "--extra-index-url", "-f", "--find-links",
    "--no-binary", "--only-binary", "--progress-bar", "--root-user-action", "--report",
    "--build-constraint", "--group", "--build", "-b", "--refresh-package",
    "--uploaded-prior-to", "--requirements-from-script", "--hash",
}  # fmt: skip

#: Options that say where packages come from; a helper pip run (building a patched sdist,
#: installing a build backend) must look in the same places.
INDEX_OPTIONS = {
    "-i", "--index-url", "--extra-index-url", "-f", "--find-links", "--trusted-host",
    "--cert", "--client-cert", "--proxy", "--timeout", "--default-timeout", "--retries",
    "--keyring-provider", "--pypi-url",
}  # fmt: skip
INDEX_FLAGS = {"--no-index", "--pre", "--isolated"}

#: Where the name ends in a requirement line: extras, a version, a marker, a URL.
_NAME_END = re.compile(r"[\s\[<>=!~;@(]")

BUILD_COMMANDS = frozenset({"install", "wheel", "download"})
PROJECT_FILES = ("pyproject.toml", "setup.py", "setup.cfg")


class LocalProject:
    """A project directory the command names, and how it names it."""

    def __init__(self, path: str, *, editable: bool, origin: str) -> None:
        self.path = path
        self.editable = editable
        self.origin = origin

    @property
    def pyproject(self) -> str:
        return os.path.join(self.path, "pyproject.toml")

    def __repr__(self) -> str:
        return f"LocalProject({self.path!r}, editable={self.editable}, origin={self.origin!r})"


class PipCommand:
    """What a pip command line asks for, as far as safepip needs to know."""

    def __init__(self, pip_args: Sequence[str], cwd: str) -> None:
        self.pip_args = list(pip_args)
        self.cwd = cwd
        index = command_index(self.pip_args)
        self.command = None if index is None else self.pip_args[index]
        self.arguments = [] if index is None else self.pip_args[index + 1 :]
        self.local_projects: list[LocalProject] = []
        self.sdist_files: list[str] = []
        self.requirement_files: list[str] = []
        #: The ``--find-links`` of the requirements files (a relative folder resolved as pip
        #: does: from the file's folder when it exists there).
        self.file_find_links: list[str] = []
        #: The sha256 hashes a requirements file gives for a project (``--hash=sha256:...``),
        #: by canonical name.
        self.hashes: dict[str, set[str]] = {}
        self.no_build_isolation = "--no-build-isolation" in self.arguments
        if self.command in BUILD_COMMANDS:
            self._read_arguments()

    @property
    def builds(self) -> bool:
        """Whether this pip command may build packages (install, wheel, download)."""
        return self.command in BUILD_COMMANDS

    def index_options(self) -> list[str]:
        """The command's options that say where to find packages, to reuse in helper runs."""
        kept: list[str] = []
        for name, value in iter_options(self.pip_args):
            if name in INDEX_FLAGS and value is None:
                kept.append(name)
            elif name in INDEX_OPTIONS and value is not None:
                kept += [name, value]
        return kept

    def project_for(self, pyproject: str | None) -> LocalProject | None:
        """The named project whose pyproject.toml this is, or None when the command names none."""
        if not pyproject or "\0" in pyproject:  # a NUL can only come from a crafted log
            return None
        wanted = os.path.realpath(os.path.dirname(pyproject))
        for project in self.local_projects:
            if os.path.realpath(project.path) == wanted:
                return project
        return None

    def _read_arguments(self) -> None:
        for name, value in iter_options(self.arguments, positionals=True):
            if name in {"-e", "--editable"} and value is not None:
                self._add_target(value, editable=True, origin=f"-e {value}", base=self.cwd)
            elif name in {"-r", "--requirement"} and value is not None:
                self._read_requirements_file(value, self.cwd, depth=0)
            elif name == "" and value is not None:
                self._add_target(value, editable=False, origin=value, base=self.cwd)

    def _add_target(self, spec: str, *, editable: bool, origin: str, base: str) -> None:
        path = _local_path(spec, base) or _local_path(spec, self.cwd)
        if path is None:
            return
        if os.path.isdir(path):
            if any(os.path.isfile(os.path.join(path, name)) for name in PROJECT_FILES):
                self.local_projects.append(LocalProject(path, editable=editable, origin=origin))
        elif is_sdist(path) and os.path.isfile(path):
            self.sdist_files.append(path)

    def _read_requirements_file(self, name: str, base: str, depth: int) -> None:
        path = os.path.normpath(os.path.join(base, os.path.expanduser(name)))
        if depth > 10 or path in self.requirement_files:
            return  # a loop of -r files: pip reports it, we just stop
        self.requirement_files.append(path)
        try:
            # Only a regular file: `-r /dev/stdin`, `-r <(...)` and named pipes are streams that
            # pip must read whole and first; reading them here would leave pip nothing.
            if not stat.S_ISREG(os.stat(path).st_mode):
                return
            with open(path, encoding="utf-8", errors="replace") as handle:
                text = handle.read()
        except OSError:
            return  # pip will say it cannot open it
        folder = os.path.dirname(path)
        for number, line in _logical_lines(text):
            words = line.split()
            origin = f"{name}, line {number}"
            if not words:
                continue
            first, rest = words[0], words[1:]
            option, _, attached = first.partition("=")
            value = attached or (rest[0] if rest else "")
            if option in {"-e", "--editable"} or (first.startswith("-e") and len(first) > 2):
                target = value if option in {"-e", "--editable"} else first[2:]
                self._add_target(target, editable=True, origin=origin, base=folder)
            elif option in {"-r", "--requirement"} and value:
                self._read_requirements_file(value, folder, depth + 1)
            elif option in {"-f", "--find-links"} and value:
                beside = os.path.join(folder, value)
                self.file_find_links.append(beside if os.path.exists(beside) else value)
            elif not first.startswith("-"):
                # Requirement lines may carry options after the requirement (--hash=...).
                self._add_target(first, editable=False, origin=origin, base=folder)
                self._note_hashes(first, rest)

    def _note_hashes(self, requirement: str, options: list[str]) -> None:
        """Keep a requirement line's ``--hash=sha256:...`` values: a file safepip fetches again
        for that project must match one of them, as pip's did."""
        values = [
            value if option == "--hash=" else options[index + 1] if index + 1 < len(options) else ""
            for index, (option, value) in enumerate(
                (word[:7], word[7:]) if word.startswith("--hash=") else (word, "")
                for word in options
            )
            if option in {"--hash=", "--hash"}
        ]
        digests = {
            value[len("sha256:") :].lower() for value in values if value.startswith("sha256:")
        }
        if digests:
            name = canonical_name(_NAME_END.split(requirement, 1)[0])
            self.hashes.setdefault(name, set()).update(digests)


def iter_options(
    args: Sequence[str], *, positionals: bool = False
) -> Iterator[tuple[str, str | None]]:
    """(option, value) pairs; positionals come as ("", value) when asked for."""
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--":
            if positionals:
                yield from (("", rest) for rest in args[i + 1 :])
            return
        if arg.startswith("--"):
            name, has_value, value = arg.partition("=")
            if has_value:
                yield name, value
            elif name in OPTIONS_WITH_VALUE and i + 1 < len(args):
                i += 1
                yield name, args[i]
            else:
                yield name, None
        elif arg.startswith("-") and len(arg) > 1:
            name = arg[:2]
            if name not in OPTIONS_WITH_VALUE:
                yield name, None
            elif len(arg) > 2:
                yield name, arg[2:]  # -rreqs.txt, -e.
            elif i + 1 < len(args):
                i += 1
                yield name, args[i]
        elif positionals:
            yield "", arg
        i += 1


def _logical_lines(text: str) -> Iterator[tuple[int, str]]:
    """Lines of a requirements file with comments removed and continuations joined."""
    pending = ""
    start = 0
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw
        if line.lstrip().startswith("#"):
            line = ""
        elif " #" in line or "\t#" in line:
            line = line[: min(i for i in (line.find(" #"), line.find("\t#")) if i >= 0)]
        if not pending:
            start = number
        if line.endswith("\\"):
            pending += line[:-1]
            continue
        yield start, (pending + line).strip()
        pending = ""
    if pending:
        yield start, pending.strip()


def _local_path(spec: str, base: str) -> str | None:
    """The filesystem path a requirement names, or None for a name or a remote URL."""
    spec = spec.strip()
    if " @ " in spec:
        spec = spec.split(" @ ", 1)[1].strip()
    if spec.startswith("file:"):
        spec = unquote(urlsplit(spec).path)
    elif "://" in spec or spec.startswith(("git+", "hg+", "svn+", "bzr+")):
        return None
    # ./proj[extra] and ./proj;marker name the directory ./proj.
    for cut in ("[", ";"):
        if cut in spec and not os.path.exists(os.path.join(base, spec)):
            spec = spec.split(cut, 1)[0].strip()
    looks_like_path = (
        spec.startswith((".", "/", "~"))
        or os.sep in spec
        or (os.altsep is not None and os.altsep in spec)
    )
    path = os.path.normpath(os.path.join(base, os.path.expanduser(spec)))
    # Like pip: a bare word is a project name even if a directory of that name exists here.
    if looks_like_path or (is_sdist(spec) and os.path.isfile(path)):
        return path
    return None
