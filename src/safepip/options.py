"""safepip's own options: long options pip does not have, read only before the pip command.

Everything else on the command line reaches pip verbatim and in order. Each option is mirrored by a
``SAFEPIP_*`` environment variable so CI can set it once; an option on the command line wins.
"""

from __future__ import annotations

from safepip.errors import SafepipError

TYPE_CHECKING = False  # see safepip.reading.consumer
if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from safepip.fixmode import FixMode

#: pip's global options that take a value (pip 21.3 to 26.x), so their value is not taken for the
#: command name: ``safepip --python /venv/bin/python install .``
PIP_GLOBAL_OPTIONS_WITH_VALUE = frozenset(
    {
        "--python",
        "--log",
        "--log-file",
        "--local-log",
        "--keyring-provider",
        "--proxy",
        "--retries",
        "--timeout",
        "--default-timeout",
        "--exists-action",
        "--trusted-host",
        "--cert",
        "--client-cert",
        "--cache-dir",
        "--use-feature",
        "--use-deprecated",
        "--resume-retries",
    }
)

HELP_OPTION = "--safepip-help"
VERSION_OPTION = "--safepip-version"

#: safepip's own flags -> the SafepipOptions field each one sets.
_FLAGS = {
    HELP_OPTION: "show_help",
    VERSION_OPTION: "show_version",
}
#: The flags that choose the fix mode (safepip.fixmode), and the mode each chooses.
_FIX_FLAGS: dict[str, FixMode] = {"--yes": "apply", "--no-fix": "explain"}

_TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
_FALSE_WORDS = frozenset({"0", "false", "no", "off", ""})


# Plain classes, not dataclasses: importing dataclasses costs pass-through start-up ~9 ms.
class SafepipOptions:
    """What safepip itself was asked to do, apart from the pip command."""

    def __init__(self) -> None:
        #: The fix mode the command line or the environment chose (None: neither said), and
        #: where from: ``--yes``, ``--no-fix``, ``$SAFEPIP_YES``... (safepip.config.resolve_fix
        #: goes on from here to the configuration file and whether a person can be asked).
        self.fix: FixMode | None = None
        self.fix_source: str | None = None
        self.report: str | None = None
        self.show_help = False
        self.show_version = False
        #: Which settings came from the environment rather than the command line (for messages).
        self.from_environment: list[str] = []


class Invocation:
    """A command line split into safepip's options and the arguments meant for pip."""

    def __init__(self, options: SafepipOptions, pip_args: list[str]) -> None:
        self.options = options
        self.pip_args = pip_args
        #: The command name safepip was called as ($SAFEPIP_INVOKED_AS: ``pip3``), if any.
        self.invoked_as: str | None = None

    @property
    def command(self) -> str | None:
        """pip's command name (``install``, ``list``...), or None when there is none."""
        index = command_index(self.pip_args)
        return None if index is None else self.pip_args[index]

    @property
    def pip_python(self) -> str | None:
        """The value of pip's own ``--python`` option, when given before the command."""
        return global_option_value(self.pip_args, "--python")


def env_flag(environ: Mapping[str, str], name: str) -> bool | None:
    """A boolean SAFEPIP_* variable: None when unset; SafepipError when it is neither."""
    raw = environ.get(name)
    if raw is None:
        return None
    word = raw.strip().lower()
    if word in _TRUE_WORDS:
        return True
    if word in _FALSE_WORDS:
        return False
    raise SafepipError(f"${name} must be 1 or 0 (or true/false), not {raw!r}")


def _iter_global_prefix(pip_args: Sequence[str]) -> int | None:
    """Index of pip's command name, skipping pip's global options and their values."""
    i = 0
    while i < len(pip_args):
        arg = pip_args[i]
        if arg == "--":
            return None
        if not arg.startswith("-") or arg == "-":
            return i
        if arg in PIP_GLOBAL_OPTIONS_WITH_VALUE:
            i += 2
            continue
        i += 1
    return None


def command_index(pip_args: Sequence[str]) -> int | None:
    """Where pip's command name stands in ``pip_args`` (None for ``pip --version`` and the like)."""
    return _iter_global_prefix(pip_args)


def global_option_value(pip_args: Sequence[str], name: str) -> str | None:
    """The value of one of pip's global options given before the command (the last one wins)."""
    end = command_index(pip_args)
    prefix = pip_args if end is None else pip_args[:end]
    value = None
    for i, arg in enumerate(prefix):
        if arg == name and i + 1 < len(prefix):
            value = prefix[i + 1]
        elif arg.startswith(name + "="):
            value = arg.split("=", 1)[1]
    return value


def _fix_from_environment(options: SafepipOptions, environ: Mapping[str, str]) -> None:
    """The fix mode SAFEPIP_YES and SAFEPIP_NO_FIX choose, when the command line chose none."""
    yes = env_flag(environ, "SAFEPIP_YES")
    no_fix = env_flag(environ, "SAFEPIP_NO_FIX")
    if yes and no_fix:
        raise SafepipError(_CONTRADICTION)
    if yes:
        options.fix, options.fix_source = "apply", "$SAFEPIP_YES"
        options.from_environment.append("SAFEPIP_YES")
    elif no_fix:
        options.fix, options.fix_source = "explain", "$SAFEPIP_NO_FIX"
        options.from_environment.append("SAFEPIP_NO_FIX")
    else:
        # A variable set to 0 still speaks for the environment: SAFEPIP_YES=0 asks again even
        # when the file says fix = "yes". An empty variable counts as unset, as CI templates
        # leave them.
        said = [f"${name}" for name in ("SAFEPIP_YES", "SAFEPIP_NO_FIX") if environ.get(name)]
        if said:
            options.fix, options.fix_source = "ask", " and ".join(said)


def _apply_environment(
    options: SafepipOptions, explicit: set[str], environ: Mapping[str, str]
) -> None:
    """Fill in what the command line left unsaid from the SAFEPIP_* variables."""
    # --yes and --no-fix answer one question: either on the command line overrides both variables.
    if options.fix is None:
        _fix_from_environment(options, environ)
    if "report" not in explicit and environ.get("SAFEPIP_REPORT"):
        options.report = environ["SAFEPIP_REPORT"]
        options.from_environment.append("SAFEPIP_REPORT")


_CONTRADICTION = "--yes and --no-fix contradict each other: give one of them"


def parse_command_line(argv: Sequence[str], environ: Mapping[str, str]) -> Invocation:
    """Split ``argv`` into safepip's options and pip's arguments.

    safepip's options are recognised anywhere before pip's command name, between pip's global
    options; from the command name on, every argument is pip's, untouched.
    """
    options = SafepipOptions()
    pip_args: list[str] = []
    explicit: set[str] = set()
    fix_flags: dict[FixMode, str] = {}
    i = 0
    args = list(argv)
    while i < len(args):
        arg = args[i]
        if not arg.startswith("-") or arg in {"-", "--"}:
            break  # the pip command (or a positional) starts: the rest is pip's
        if not arg.startswith("--"):
            # pip's short global options (-v, -qq, -V, -h) take no value.
            pip_args.append(arg)
            i += 1
            continue
        name, has_value, value = arg.partition("=")
        flag = _FLAGS.get(name)
        fix = _FIX_FLAGS.get(name)
        if flag is not None and not has_value:
            setattr(options, flag, True)
        elif fix is not None and not has_value:
            fix_flags[fix] = name
        elif name == "--report":
            if not has_value:
                i += 1
                value = args[i] if i < len(args) else ""
            if not value:
                raise SafepipError("--report needs a file name: safepip --report FILE ...")
            options.report = value
            explicit.add("report")
        else:
            # One of pip's global options: keep it, with its value when it takes one.
            pip_args.append(arg)
            if name in PIP_GLOBAL_OPTIONS_WITH_VALUE and not has_value and i + 1 < len(args):
                i += 1
                pip_args.append(args[i])
        i += 1
    pip_args.extend(args[i:])

    if len(fix_flags) > 1:
        raise SafepipError(_CONTRADICTION)
    if fix_flags:
        options.fix, options.fix_source = next(iter(fix_flags.items()))
    _apply_environment(options, explicit, environ)
    return Invocation(options=options, pip_args=pip_args)
