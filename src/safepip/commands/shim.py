"""``safepip shim DIR [--github]``: write launchers named ``pip``, ``pip3`` and ``pip3.X`` into
DIR, so that with DIR first on ``PATH`` every ``pip`` any program runs (``bash -c``, make, tox,
nox, pre-commit...) goes through safepip. An alias cannot do that: only a person's interactive
shell reads it.

Each launcher is a small POSIX sh script. When the safepip fixed at generation time (an absolute
path, found as ``safepip shell-init`` finds it) is still executable, it runs
``SAFEPIP_INVOKED_AS=<its name> exec <safepip> "$@"``, and safepip then looks for the real pip of
that name on PATH behind the launchers. When safepip has been removed it says so in one line and
runs the next command of its own name on PATH itself, skipping every folder that holds the marker
file ``.safepip-launchers`` (written into DIR too), so DIR on PATH twice cannot loop, and every
launcher, known by its first lines (a copy made without the marker: ``cp DIR/* ~/bin``). As a
last guard, a launcher that finds itself exec'd by itself (``$SAFEPIP_LAUNCHER_PID`` is its own
process id, which exec keeps) says so in one line and exits 127 instead of looping.

``python -m pip`` starts pip inside Python and runs no ``pip`` command: no launcher can see it.

DIR is a folder on PATH, so whoever can write in it can run code as whoever runs ``pip``:
safepip refuses a DIR that is not owned by the user (or root) or that group or others may write
in, and makes each file new (``O_CREAT|O_EXCL|O_NOFOLLOW``, relative to the folder's descriptor)
before renaming it into place, so that no link planted there is written through.

Exit status: 0; 2 on bad input; 1 for a folder that is not safe (one line on stderr, nothing
written either way).
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import stat
import sys
from collections.abc import Iterable, Iterator, Mapping

from safepip.folders import unsafe_parent
from safepip.options import SafepipOptions
from safepip.target import LAUNCHER_HEADER

#: The file that marks a folder of launchers: target resolution and the launchers skip it.
MARKER = ".safepip-launchers"
#: The first lines of every launcher: how an earlier launcher is told from a real pip.
HEADER = LAUNCHER_HEADER.decode()
#: Set by a launcher to its process id before it execs: a launcher that finds it equal to its
#: own was exec'd by itself (through safepip or the PATH walk), and stops instead of looping.
GUARD = "SAFEPIP_LAUNCHER_PID"
_VERSIONED = re.compile(r"^(?:python|pip)3\.(\d+)$")

USAGE = "usage: safepip shim DIR [--github]"


class ShimError(Exception):
    """Bad input: one line for the user, nothing written."""


class UnsafeFolderError(ShimError):
    """A folder others could change: one line for the user, nothing written (exit status 1)."""


def _quote(word: str) -> str:
    return "'" + word.replace("'", "'\\''") + "'"


def launcher(name: str, command: list[str]) -> str:
    """The sh script that runs ``command`` (safepip's argv prefix) as ``name``."""
    program = _quote(command[0])
    words = " ".join(_quote(word) for word in command)
    return f"""\
{HEADER}: `{name}` runs safepip (made by `safepip shim`; delete this folder to undo).
# safepip: {" ".join(command).replace(chr(10), "?")}
if [ "${{{GUARD}:-}}" = "$$" ]; then
    echo "safepip: $0 is a safepip launcher that ran itself again" \\
        "(a copy without its folder's {MARKER} file?); stopping: remove it from PATH" >&2
    exit 127
fi
{GUARD}=$$
export {GUARD}
if [ -x {program} ]; then
    SAFEPIP_INVOKED_AS={name} exec {words} "$@"
fi
echo "safepip: "{program}" is gone; running the real {name} (remove ${{0%/*}} from PATH)" >&2
set -f
IFS=:
for __safepip_dir in $PATH; do
    [ -n "$__safepip_dir" ] || __safepip_dir=.
    [ -e "$__safepip_dir/{MARKER}" ] && continue
    if [ -f "$__safepip_dir/{name}" ] && [ -x "$__safepip_dir/{name}" ]; then
        __safepip_head=
        {{ IFS= read -r __safepip_head; IFS= read -r __safepip_head; }} \\
            < "$__safepip_dir/{name}" 2>/dev/null
        case $__safepip_head in "{HEADER.splitlines()[1]}"*) continue ;; esac
        unset IFS
        set +f
        exec "$__safepip_dir/{name}" "$@"
    fi
done
echo "safepip: no other {name} on PATH" >&2
exit 127
"""


def safepip_launcher(command: list[str]) -> str:
    """``safepip`` itself in DIR too (tox's install_command, ``safepip doctor`` in CI)."""
    program = _quote(command[0])
    words = " ".join(_quote(word) for word in command)
    return f"""\
{HEADER}: `safepip` (made by `safepip shim`; delete this folder to undo).
if [ -x {program} ]; then
    exec {words} "$@"
fi
echo "safepip: "{program}" is gone (remove ${{0%/*}} from PATH)" >&2
exit 127
"""


def versions(environ: Mapping[str, str], skip: str) -> list[int]:
    """The X of every ``python3.X`` or ``pip3.X`` on PATH (launcher folders and ``skip`` aside),
    and of the Python safepip runs in."""
    found = {sys.version_info[1]}
    for folder in (environ.get("PATH") or "").split(os.pathsep):
        if not folder or os.path.exists(os.path.join(folder, MARKER)):
            continue
        if os.path.realpath(folder) == skip:
            continue
        try:
            entries = os.listdir(folder)
        except OSError:
            continue
        for entry in entries:
            match = _VERSIONED.match(entry)
            if match:
                found.add(int(match.group(1)))
    return sorted(found)


def names(minors: Iterable[int]) -> list[str]:
    return ["pip", "pip3", *(f"pip3.{minor}" for minor in minors)]


def _check_folder(folder: str, wanted: list[str]) -> None:
    if os.path.exists(folder) and not os.path.isdir(folder):
        raise ShimError(f"{folder} exists and is not a folder")
    for name in wanted:
        path = os.path.join(folder, name)
        if not os.path.lexists(path):
            continue
        if not _is_launcher(path):
            raise ShimError(
                f"{path} exists and is not a safepip launcher (an environment's own pip?): "
                "choose an empty folder of its own"
            )


def _is_launcher(path: str) -> bool:
    """Whether ``path`` is a regular file (not a link) that starts with a launcher's header."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return False
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return False
        return os.read(fd, len(HEADER)) == HEADER.encode()
    finally:
        os.close(fd)


def _check_owner(folder: str, status: os.stat_result) -> None:
    """DIR goes first on PATH: only its user (or root) may be able to put a program in it."""
    if status.st_uid not in {os.geteuid(), 0}:
        raise UnsafeFolderError(
            f"{folder} belongs to another user (uid {status.st_uid}), who could replace the "
            "launchers with their own programs; choose a folder of your own"
        )
    if status.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        raise UnsafeFolderError(
            f"{folder} is writable by other users, who could put their own pip in it; "
            "choose a folder only you can write in (or chmod go-w it)"
        )


@contextlib.contextmanager
def _opened(folder: str) -> Iterator[int]:
    """The folder (made 0755 if missing), open, checked; its descriptor."""
    above = unsafe_parent(folder)
    if above is not None:  # checked before anything is made there
        raise UnsafeFolderError(
            f"{folder} is inside {above}, which another user owns or may write in: they could "
            "swap the folder for one of their own; choose a folder of your own"
        )
    created = not os.path.lexists(folder)
    os.makedirs(folder, mode=0o755, exist_ok=True)
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        if created:  # a umask of 002 would leave it writable by the group
            os.fchmod(fd, 0o755)
        _check_owner(folder, os.fstat(fd))
        yield fd
    finally:
        os.close(fd)


def _write(folder: int, name: str, text: str, mode: int) -> None:
    """``name`` in the folder ``folder`` becomes ``text``: written to a new file (never through
    a link), mode set on its descriptor, synced, renamed over ``name``."""
    temporary = f".{name}.safepip-{secrets.token_hex(6)}.tmp"
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
    fd = os.open(temporary, flags, 0o600, dir_fd=folder)
    try:
        data = memoryview(text.encode("utf-8"))
        while data:
            data = data[os.write(fd, data) :]
        os.fchmod(fd, mode)
        os.fsync(fd)
        os.rename(temporary, name, src_dir_fd=folder, dst_dir_fd=folder)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary, dir_fd=folder)
        raise
    finally:
        os.close(fd)


def write_launchers(folder: str, command: list[str], wanted: list[str]) -> None:
    _check_folder(folder, [*wanted, "safepip"])
    try:
        with _opened(folder) as fd:
            _check_folder(folder, [*wanted, "safepip"])  # now that it is certainly this folder
            _write(
                fd,
                MARKER,
                "safepip launchers live in this folder (`safepip shim`): safepip and its "
                "launchers\nskip it when they look for the real pip on PATH.\n",
                0o644,
            )
            for name in wanted:
                _write(fd, name, launcher(name, command), 0o755)
            _write(fd, "safepip", safepip_launcher(command), 0o755)
    except OSError as exc:
        raise ShimError(f"cannot write the launchers in {folder}: {exc.strerror or exc}") from None


def _add_to_github_path(folder: str, environ: Mapping[str, str]) -> str:
    github_path = environ["GITHUB_PATH"]
    try:
        with open(github_path, "a", encoding="utf-8") as handle:
            handle.write(folder + "\n")
    except OSError as exc:
        raise ShimError(
            f"--github: cannot append to {github_path}: {exc.strerror or exc}"
        ) from None
    return github_path


def _folder(args: list[str], github: bool) -> str:
    """The one folder the arguments name (absolute), or ShimError."""
    rest = [arg for arg in args if arg != "--github"]
    if sys.platform == "win32":
        raise ShimError("launchers are sh scripts: not available on Windows")
    unknown = [arg for arg in rest if arg.startswith("-")]
    if unknown:
        raise ShimError(f"unknown option {unknown[0]} ({USAGE})")
    if len(rest) != 1 or not rest[0]:
        raise ShimError(f"one folder, please ({USAGE})")
    folder = os.path.abspath(os.path.expanduser(rest[0]))
    if os.pathsep in folder or "\n" in folder or "\r" in folder:
        raise ShimError(
            f"{folder!r}: a folder with ':' or a line break in its name cannot go on PATH"
        )
    if github and not os.environ.get("GITHUB_PATH"):
        raise ShimError("--github: $GITHUB_PATH is not set (it is, in a GitHub Actions step)")
    return folder


def run(args: list[str], own: SafepipOptions | None = None) -> int:
    """Entry point: ``args`` are the words after ``safepip shim``.

    ``own`` (safepip's own options, which main.py hands to every own command) changes nothing
    here.
    """
    if any(arg in {"-h", "--help"} for arg in args):
        print(
            f"{USAGE}\n\n"
            "Write launchers named pip, pip3 and pip3.X into DIR: with DIR first on PATH,\n"
            "every `pip` any program runs goes through safepip.\n"
            '  export PATH="DIR:$PATH"\n'
            "  --github  also append DIR to $GITHUB_PATH (later steps of the job)\n"
            "`python -m pip` cannot be intercepted: write `pip ...` (or `safepip ...`) instead."
        )
        return 0
    github = "--github" in args
    try:
        folder = _folder(args, github)
        from safepip.commands.shell_init import safepip_command

        command, why = safepip_command()
        wanted = names(versions(os.environ, os.path.realpath(folder)))
        write_launchers(folder, command, wanted)
        github_path = _add_to_github_path(folder, os.environ) if github else None
    except ShimError as exc:
        print(f"safepip shim: {exc}", file=sys.stderr)
        return 1 if isinstance(exc, UnsafeFolderError) else 2
    print(f"safepip shim: wrote {', '.join(wanted)} and safepip in {folder}")
    print(f"safepip shim: they run {' '.join(command)} ({why})")
    if github_path:
        print(
            f"safepip shim: added {folder} to $GITHUB_PATH: every `pip` in the later steps of "
            "this job runs safepip (`python -m pip` does not)"
        )
    else:
        print(f'safepip shim: put the folder first on PATH: export PATH="{folder}:$PATH"')
    return 0
