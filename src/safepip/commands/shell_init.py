"""``safepip shell-init [bash|zsh|fish|powershell]``: shell code that makes ``pip`` and ``pip3``
run safepip, to evaluate from the shell's start-up file (``eval "$(safepip shell-init bash)"``),
in the manner of ``zoxide init`` and ``direnv hook``.

Shape: in bash and zsh, ``pip`` and ``pip3`` are aliases of the command itself
(``SAFEPIP_INVOKED_AS=pip "${__safepip[@]}"``), not of functions, so that ``jobs`` after Ctrl-Z
shows the arguments typed (bash shows a function's inner command unexpanded, zsh shows nothing for
a function) and the text stays within the 80 characters zsh keeps of it. An alias only affects
what a person types at an interactive prompt (a script neither reads the rc file nor, in bash,
expands aliases) and both usual escapes skip it: ``command pip`` and ``\\pip``. fish and
PowerShell have no such aliases: there ``pip`` is a function (fish's ``jobs`` shows its inner
command), and ``command pip`` (fish) or ``pip.exe`` (PowerShell) bypasses it.

Which safepip the code calls: an absolute path fixed when the code is generated, as direnv does,
so that activating a virtual environment without safepip, or with another safepip, does not
change or break ``pip``. The path is this installation's ``safepip`` script (next to the
interpreter safepip runs in, or the script that is running); failing that, ``<python> -m safepip``
of the interpreter safepip runs in. The script comes first because ``python -m`` puts the current
directory at the front of ``sys.path``, so a ``safepip/`` folder or a module shadowing the
standard library in the user's project would be imported instead (3.11+ gets ``-P`` against that).
When the path is gone when the code runs (safepip uninstalled, pasted code kept), bash and zsh say
so and leave ``pip`` alone; fish's and PowerShell's functions check at each call, warn and run
the real pip.

Each alias or function tells safepip the name it was called as (``SAFEPIP_INVOKED_AS=pip3``), so
that safepip runs the ``pip3`` that ``PATH`` would have found without it (see safepip.target);
safepip does not pass that variable on to pip.

Exit status: 0; 2 when the shell is unknown or cannot be detected.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping

from safepip.options import SafepipOptions

SHELLS = ("bash", "zsh", "fish", "powershell")
#: Other names the shells go by (in $SHELL or as a process name), and the argument spelling.
_ALIASES = {"pwsh": "powershell", "powershell.exe": "powershell", "pwsh.exe": "powershell"}
COMMANDS = ("pip", "pip3")


def detect_shell(environ: Mapping[str, str]) -> str | None:
    """The user's shell: the parent process when it is a known shell (Linux, one read of /proc),
    else $SHELL; PowerShell on Windows when $PSModulePath says so. None when it cannot tell."""
    parent = _parent_name()
    if parent is not None:
        name = _known(parent)
        if name is not None:
            return name
    shell = environ.get("SHELL")
    if shell:
        name = _known(os.path.basename(shell))
        if name is not None:
            return name
    if sys.platform == "win32" and environ.get("PSModulePath"):
        return "powershell"
    return None


def _known(name: str) -> str | None:
    name = name.strip().lstrip("-").lower()  # "-bash": a login shell
    name = _ALIASES.get(name, name)
    return name if name in SHELLS else None


def _parent_name() -> str | None:
    # /proc is Linux's: elsewhere ps would cost a process per shell start-up, and $SHELL will do.
    try:
        with open(f"/proc/{os.getppid()}/comm", encoding="utf-8", errors="replace") as handle:
            return handle.read().strip()
    except OSError:
        return None


def safepip_command() -> tuple[list[str], str]:
    """How the shell code should run this safepip (argv prefix), and a word on why."""
    script_name = "safepip.exe" if sys.platform == "win32" else "safepip"
    if sys.executable:
        beside = os.path.join(os.path.dirname(os.path.abspath(sys.executable)), script_name)
        if os.path.isfile(beside) and os.access(beside, os.X_OK):
            return [beside], "the safepip script of the interpreter safepip runs in"
    running = sys.argv[0] if sys.argv else ""
    if (
        os.path.basename(running).lower() in {"safepip", "safepip.exe"}
        and os.path.isfile(running)
        and os.access(running, os.X_OK)
    ):
        return [os.path.abspath(running)], "the safepip script that is running"
    python = os.path.abspath(sys.executable)
    flags = ["-P"] if sys.version_info >= (3, 11) else []
    return [python, *flags, "-m", "safepip"], "the interpreter safepip runs in"


def _posix_quote(word: str) -> str:
    return "'" + word.replace("'", "'\\''") + "'"


def _fish_quote(word: str) -> str:
    return "'" + word.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _powershell_quote(word: str) -> str:
    return "'" + word.replace("'", "''") + "'"


def render(shell: str, command: list[str], why: str = "") -> str:
    """The shell code for ``shell`` that runs ``command`` (argv prefix) as pip and pip3."""
    shown = " ".join(command).replace("\n", "?")  # a newline would end the comment
    header = (
        f"# safepip shell integration ({shell}): `pip` and `pip3` run safepip, which runs pip.\n"
        f"# safepip: {shown}\n" + (f"#   ({why})\n" if why else "")
    )
    if shell in {"bash", "zsh"}:
        return header + _posix(command)
    if shell == "fish":
        return header + _fish(command)
    return header + _powershell(command)


def _posix(command: list[str]) -> str:
    program = _posix_quote(command[0])
    words = " ".join(_posix_quote(word) for word in command)
    # Aliases to the command itself, not to functions, so that `jobs` shows the arguments typed;
    # through a variable, so that the text stays short: zsh keeps only 80 characters of it.
    aliases = "".join(
        f"""    alias {name}='SAFEPIP_INVOKED_AS={name} "${{__safepip[@]}}"'\n"""
        for name in COMMANDS
    )
    names = " ".join(COMMANDS)
    return f"""\
# Bypass: `command pip ...` or `\\pip ...`. Undo: `unalias {names}`.
if [ -x {program} ]; then
    __safepip=({words})
{aliases}else
    printf '%s\\n' "safepip: "{program}" is gone; pip and pip3 are left as they are" \\
        "safepip: remove safepip's line from your shell start-up file" >&2
fi
"""


def _fish(command: list[str]) -> str:
    program = _fish_quote(command[0])
    words = " ".join(_fish_quote(word) for word in command)
    functions = "".join(
        f"function {name} --description '{name} through safepip'\n"
        f"    __safepip_run {name} $argv\n"
        "end\n"
        for name in COMMANDS
    )
    names = " ".join(COMMANDS)
    return f"""\
# Bypass: `command pip ...`. Undo: `functions --erase {names}`.
function __safepip_run
    if test -x {program}
        set -lx SAFEPIP_INVOKED_AS $argv[1]
        {words} $argv[2..-1]
    else
        printf '%s\\n' "safepip: "{program}" is gone; running $argv[1] itself" \\
            "safepip: remove safepip's line from your shell start-up file" >&2
        command $argv
    end
end
{functions}"""


def _powershell(command: list[str]) -> str:
    program = _powershell_quote(command[0])
    rest = " ".join(_powershell_quote(word) for word in command[1:])
    call = f"& {program} {rest} @rest" if rest else f"& {program} @rest"
    functions = "".join(
        f"function global:{name} {{ __safepip_run '{name}' @args }}\n" for name in COMMANDS
    )
    return f"""\
# Bypass: `pip.exe ...` (or `& (Get-Command pip -CommandType Application) ...`).
# Undo: `Remove-Item Function:pip, Function:pip3`.
function global:__safepip_run {{
    # No param block: with one, an argument such as -n could bind to it instead of reaching pip.
    $name = $args[0]
    $rest = @($args | Select-Object -Skip 1)
    if (Test-Path -LiteralPath {program} -PathType Leaf) {{
        $env:SAFEPIP_INVOKED_AS = $name
        try {{ {call} }} finally {{ Remove-Item Env:SAFEPIP_INVOKED_AS -ErrorAction Ignore }}
    }} else {{
        [Console]::Error.WriteLine("safepip: " + {program} + " is gone; running $name itself")
        & (Get-Command $name -CommandType Application | Select-Object -First 1) @rest
    }}
}}
{functions}"""


def run(args: list[str], own: SafepipOptions | None = None) -> int:
    """Entry point: ``args`` are the words after ``safepip shell-init``.

    ``own`` (safepip's own options, which main.py hands to every own command) changes nothing
    here.
    """
    if any(arg in {"-h", "--help"} for arg in args):
        print(
            "usage: safepip shell-init [bash|zsh|fish|powershell]\n\n"
            "Print shell code that makes `pip` and `pip3` run safepip. Add to the start-up file:\n"
            '  bash (~/.bashrc):  eval "$(safepip shell-init bash)"\n'
            '  zsh (~/.zshrc):    eval "$(safepip shell-init zsh)"\n'
            "  fish (~/.config/fish/config.fish):  safepip shell-init fish | source\n"
            "  PowerShell ($PROFILE):  Invoke-Expression (& safepip shell-init powershell | "
            "Out-String)\n"
            "Bypass it with `command pip` (or `\\pip` in bash and zsh)."
        )
        return 0
    if len(args) > 1:
        print(f"safepip shell-init: one shell at most, not {' '.join(args)}", file=sys.stderr)
        return 2
    if args:
        shell = _known(args[0])
        if shell is None:
            print(
                f"safepip shell-init: unknown shell {args[0]!r}: name one of " + ", ".join(SHELLS),
                file=sys.stderr,
            )
            return 2
    else:
        shell = detect_shell(os.environ)
        if shell is None:
            seen = os.environ.get("SHELL") or _parent_name() or "unknown"
            print(
                f"safepip shell-init: cannot tell which shell this is ({seen}): name one of "
                + ", ".join(SHELLS),
                file=sys.stderr,
            )
            return 2
    command, why = safepip_command()
    sys.stdout.write(render(shell, command, why))
    return 0
