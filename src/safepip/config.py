"""safepip's configuration file: defaults for its own options, extra build dependencies for
packages the user does not control, and additions to the module -> distribution table.

The file is TOML, at ``$SAFEPIP_CONFIG`` or ``<user config dir>/safepip/config.toml``. Loading it
must cost nothing when there is none: one ``stat``, and no import of platformdirs or a TOML parser
(platformdirs alone costs tens of milliseconds to import) on Linux. Every value remembers the file
and line it came from, so that an error, and ``safepip config-show``, can point at it.

Precedence for safepip's options: command line > ``SAFEPIP_*`` environment > this file > default
(:func:`effective_options`; for the fix mode, :func:`resolve_fix`, which then also asks whether a
person can be asked).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from safepip.errors import SafepipError
from safepip.fixmode import ASK, EXPLAIN, FILE_WORDS, FROM_FILE_WORD, nobody_to_ask
from safepip.knowledge import Provider
from safepip.names import (
    SDIST_SUFFIXES,
    WHEEL_SUFFIX,
    canonical_name,
    requirement_name,
    sdist_project,
    wheel_project,
)
from safepip.places import (
    CONFIG_VARIABLE,
    config_file,
)

if TYPE_CHECKING:
    from packaging.requirements import Requirement

    from safepip import tomlfile
    from safepip.fixmode import FixMode
    from safepip.options import SafepipOptions


#: PEP 508 distribution names (the "name" rule), ASCII letters and digits with ``-_.`` inside.
_NAME = re.compile(r"^([A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9])$", re.IGNORECASE)

_TABLES = ("options", "extra-build-dependencies", "mapping")
_OPTION_KEYS = ("fix", "report", "memory")


class ConfigError(SafepipError):
    """The configuration file is unusable; the message names the file, the line and the key."""


class Origin:
    """Where a value came from: a file and line, or a description (``--yes``, ``$SAFEPIP_YES``)."""

    def __init__(self, description: str, path: str | None = None, line: int | None = None):
        self.description = description
        self.path = path
        self.line = line

    def __str__(self) -> str:
        if self.path is None:
            return self.description
        return f"{self.path}:{self.line}" if self.line else self.path

    def __repr__(self) -> str:
        return f"Origin({self!s})"

    def to_json(self) -> dict[str, Any]:
        if self.path is None:
            return {"source": self.description}
        return {"source": "config file", "path": self.path, "line": self.line}


DEFAULT = Origin("default")


class ExtraBuildDependency:
    """One extra build requirement for a package: ``"torch"`` or ``{requirement = "torch",
    match-runtime = true}`` (build against the version installed in the target environment)."""

    def __init__(self, requirement: str, match_runtime: bool, origin: Origin) -> None:
        self.requirement = requirement
        self.match_runtime = match_runtime
        self.origin = origin

    def __repr__(self) -> str:
        flag = ", match-runtime" if self.match_runtime else ""
        return f"ExtraBuildDependency({self.requirement!r}{flag})"

    def to_json(self) -> dict[str, Any]:
        return {
            "requirement": self.requirement,
            "match_runtime": self.match_runtime,
            **self.origin.to_json(),
        }


class MappingEntry:
    """A user's addition to the module -> distribution table."""

    def __init__(self, module: str, distribution: str, requirement: str, origin: Origin) -> None:
        self.module = module
        self.distribution = distribution
        self.requirement = requirement
        self.origin = origin

    def __repr__(self) -> str:
        return f"MappingEntry({self.module!r} -> {self.requirement!r})"

    def to_json(self) -> dict[str, Any]:
        return {
            "distribution": self.distribution,
            "requirement": self.requirement,
            **self.origin.to_json(),
        }


class Config:
    """The configuration as read: every field empty when there is no file."""

    def __init__(self, path: str, exists: bool) -> None:
        #: The file looked at (whether or not it exists) and why that one.
        self.path = path
        self.exists = exists
        self.path_origin = DEFAULT
        #: ``[options] fix`` ("ask", "yes" or "no" in the file); None when the file does not say.
        self.fix: FixMode | None = None
        #: ``[options] report``: a path (``~`` expanded); None when the file does not say.
        self.report: str | None = None
        #: ``[options] memory``: false keeps no fixed wheel and offers none (safepip.memory);
        #: None when the file does not say.
        self.memory: bool | None = None
        #: Where each option value came from, by key ("fix", "report", "memory").
        self.origins: dict[str, Origin] = {}
        #: Normalised distribution name -> its extra build requirements, in file order.
        self.extra_build_dependencies: dict[str, list[ExtraBuildDependency]] = {}
        #: Spelling of each extra-build-dependencies key as written (normalised name -> key).
        self.extra_build_names: dict[str, str] = {}
        #: Where each extra-build-dependencies key was written (normalised name -> origin).
        self.extra_build_origins: dict[str, Origin] = {}
        #: Top-level module name -> the user's distribution for it.
        self.mapping: dict[str, MappingEntry] = {}

    def extra_requirements(self, distribution: str) -> list[ExtraBuildDependency]:
        """The extra build requirements configured for ``distribution`` (any spelling)."""
        return self.extra_build_dependencies.get(canonical_name(distribution), [])

    def extra_requirements_for(
        self, package: str, cwd: str | None = None
    ) -> list[ExtraBuildDependency]:
        """The extra build requirements for a package however pip named it (see
        :func:`distribution_of`); none when the name cannot be told."""
        name = distribution_of(package, cwd)
        return self.extra_requirements(name) if name else []

    def providers(self) -> dict[str, Provider]:
        """``[mapping]`` in the shape of ``safepip.knowledge.PROVIDERS``, to consult first."""
        return {
            module: Provider(entry.distribution, entry.requirement, f"from {entry.origin}")
            for module, entry in self.mapping.items()
        }

    def to_json(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "path_source": str(self.path_origin),
            "exists": self.exists,
            "options": {
                key: {"value": self._option_as_written(key), **self.origins[key].to_json()}
                for key in _OPTION_KEYS
                if key in self.origins
            },
            "extra_build_dependencies": {
                self.extra_build_names[name]: [item.to_json() for item in items]
                for name, items in self.extra_build_dependencies.items()
            },
            "mapping": {module: entry.to_json() for module, entry in self.mapping.items()},
        }

    def _option_as_written(self, key: str) -> str | None:
        if key == "fix":
            return None if self.fix is None else FILE_WORDS[self.fix]
        if key == "memory":
            return None if self.memory is None else str(self.memory).lower()
        return self.report


# -- where the file is --------------------------------------------------------------------------


def config_path(environ: Mapping[str, str]) -> tuple[str, Origin]:
    """The configuration file to read, and why that one."""
    path, explicit = config_file(environ)
    return path, Origin(f"${CONFIG_VARIABLE}") if explicit else DEFAULT


# -- reading ------------------------------------------------------------------------------------


def load_config(environ: Mapping[str, str]) -> Config:
    """Read the configuration file, or return an empty Config when there is none.

    Raises ConfigError for a file that exists but is unusable, naming the file, line and key.
    ``$SAFEPIP_CONFIG`` naming a file that does not exist is an error too: the user asked for it.
    """
    path, origin = config_path(environ)
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except FileNotFoundError:
        if origin is not DEFAULT:
            raise ConfigError(f"{path} (from ${CONFIG_VARIABLE}) does not exist") from None
        config = Config(path, exists=False)
        config.path_origin = origin
        return config
    except IsADirectoryError:
        raise ConfigError(f"{path}: is a directory, not a configuration file") from None
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror or exc}") from exc
    config = parse_config(data, path)
    config.path_origin = origin
    return config


def parse_config(data: bytes, path: str) -> Config:
    """Parse the bytes of a configuration file read from ``path`` (named in messages)."""
    # Imported here: with no configuration file, loading it imports no TOML parser at all.
    from safepip import tomlfile

    try:
        text = tomlfile.decode(path, data)
        document = tomlfile.parse_plain(path, text)
    except tomlfile.TomlFileError as exc:
        raise ConfigError(str(exc)) from None
    lines = tomlfile.KeyLines(text)
    config = Config(path, exists=True)
    for table, value in document.items():
        if table not in _TABLES:
            where = lines.find((table,))
            raise ConfigError(
                f"{path}:{where}: unknown key {table!r}: the tables are "
                + ", ".join(f"[{name}]" for name in _TABLES)
            )
        if not isinstance(value, dict):
            raise ConfigError(f"{path}:{lines.find((table,))}: {table} must be a table [{table}]")
    reader = _Reader(path, lines)
    reader.options(config, document.get("options", {}))
    reader.extra_build_dependencies(config, document.get("extra-build-dependencies", {}))
    reader.mapping(config, document.get("mapping", {}))
    return config


class _Reader:
    """Checks each table and turns it into typed fields; the first problem raises."""

    def __init__(self, path: str, lines: tomlfile.KeyLines) -> None:
        self.path = path
        self.lines = lines

    def origin(self, *key: str) -> Origin:
        return Origin("config file", self.path, self.lines.find(key))

    def fail(self, key: tuple[str, ...], message: str) -> ConfigError:
        dotted = ".".join(quote_key(part) for part in key)
        return ConfigError(f"{self.path}:{self.lines.find(key)}: {dotted}: {message}")

    def options(self, config: Config, table: dict[str, Any]) -> None:
        for key, value in table.items():
            where = ("options", key)
            if key not in _OPTION_KEYS:
                raise self.fail(where, "unknown key: [options] takes " + ", ".join(_OPTION_KEYS))
            if key == "memory":
                if not isinstance(value, bool):
                    raise self.fail(where, f"must be true or false, not {_type_name(value)}")
                config.memory = value
                config.origins[key] = self.origin(*where)
                continue
            if not isinstance(value, str):
                raise self.fail(where, f"must be a string, not {_type_name(value)}")
            if key == "fix":
                if value not in FROM_FILE_WORD:
                    raise self.fail(where, f'must be "ask", "yes" or "no", not {value!r}')
                config.fix = FROM_FILE_WORD[value]
            else:
                if not value.strip():
                    raise self.fail(where, "must be a file name, not an empty string")
                config.report = os.path.expanduser(value)
            config.origins[key] = self.origin(*where)

    def extra_build_dependencies(self, config: Config, table: dict[str, Any]) -> None:
        for name, value in table.items():
            where = ("extra-build-dependencies", name)
            if not _NAME.match(name):
                raise self.fail(where, f"{name!r} is not a valid distribution name")
            if not isinstance(value, list):
                raise self.fail(
                    where, f'must be a list of requirements (["torch"]), not {_type_name(value)}'
                )
            items = [self._extra(where, item) for item in value]
            normalised = canonical_name(name)
            if normalised in config.extra_build_dependencies:
                raise self.fail(
                    where,
                    f"the same distribution as {config.extra_build_names[normalised]!r} "
                    "(names compare case- and separator-insensitively)",
                )
            config.extra_build_dependencies[normalised] = items
            config.extra_build_names[normalised] = name
            config.extra_build_origins[normalised] = self.origin(*where)

    def _extra(self, where: tuple[str, ...], item: object) -> ExtraBuildDependency:
        match_runtime = False
        if isinstance(item, dict):
            unknown = sorted(set(item) - {"requirement", "match-runtime"})
            if unknown:
                raise self.fail(
                    where,
                    f"unknown key {unknown[0]!r} in an entry: entries take requirement and "
                    "match-runtime",
                )
            if "requirement" not in item:
                raise self.fail(where, 'an entry needs requirement = "..."')
            flag = item.get("match-runtime", False)
            if not isinstance(flag, bool):
                raise self.fail(
                    where, f"match-runtime must be true or false, not {_type_name(flag)}"
                )
            match_runtime = flag
            item = item["requirement"]
        if not isinstance(item, str):
            raise self.fail(where, f"a requirement must be a string, not {_type_name(item)}")
        requirement = self._requirement(where, item)
        if match_runtime and requirement.specifier:
            raise self.fail(
                where,
                f"{item!r} has a version but match-runtime = true builds against the version "
                "installed in the target environment: drop one of them",
            )
        return ExtraBuildDependency(item.strip(), match_runtime, self.origin(*where))

    def _requirement(self, where: tuple[str, ...], text: str) -> Requirement:
        # Imported here: most configuration files name no requirement at all.
        from packaging.requirements import InvalidRequirement, Requirement

        try:
            return Requirement(text)
        except InvalidRequirement as exc:
            reason = str(exc).splitlines()[0].strip()
            raise self.fail(where, f"{text!r} is not a valid requirement ({reason})") from None

    def mapping(self, config: Config, table: dict[str, Any]) -> None:
        for module, value in table.items():
            where = ("mapping", module)
            if not module.isidentifier():
                raise self.fail(where, f"{module!r} is not a top-level module name")
            distribution: object
            requirement: object
            if isinstance(value, str):
                distribution, requirement = value, value
            elif isinstance(value, dict):
                unknown = sorted(set(value) - {"distribution", "requirement"})
                if unknown:
                    raise self.fail(
                        where, f"unknown key {unknown[0]!r}: takes distribution and requirement"
                    )
                if "distribution" not in value:
                    raise self.fail(where, 'needs distribution = "..."')
                distribution = value["distribution"]
                requirement = value.get("requirement", distribution)
                if not isinstance(requirement, str):
                    raise self.fail(
                        where, f"requirement must be a string, not {_type_name(requirement)}"
                    )
            else:
                raise self.fail(
                    where,
                    'must be a distribution name ("my-dist") or a table '
                    f'({{ distribution = "my-dist", requirement = "my-dist>=2" }}), '
                    f"not {_type_name(value)}",
                )
            if not isinstance(distribution, str):
                raise self.fail(
                    where, f"distribution must be a string, not {_type_name(distribution)}"
                )
            if not _NAME.match(distribution):
                raise self.fail(where, f"{distribution!r} is not a valid distribution name")
            parsed = self._requirement(where, requirement)
            if canonical_name(parsed.name) != canonical_name(distribution):
                raise self.fail(
                    where,
                    f"requirement {requirement!r} names {parsed.name!r}, not the distribution "
                    f"{distribution!r}",
                )
            config.mapping[module] = MappingEntry(
                module, distribution, requirement.strip(), self.origin(*where)
            )


def distribution_of(package: str, cwd: str | None = None) -> str | None:
    """The distribution name in whatever pip printed for a package: a requirement
    (``remote-widget==1.0``, ``x[extra] @ https://...``), an sdist or wheel file name or URL
    (``./wheels/remote_widget-1.0.tar.gz``, ``https://h/x_y-3-py3-none-any.whl``), a URL with
    ``#egg=NAME``, or a local folder (its ``[project] name``). None when it does not say.
    """
    text = package.strip()
    if " @ " in text or (text.count("@") == 1 and "://" not in text.split("@", 1)[0]):
        name = text.split("@", 1)[0].strip()
        if name and "/" not in name:
            return _requirement_name(name)
    is_path = "://" in text or "/" in text or os.sep in text or text.startswith(".")
    if not is_path and not text.endswith((*SDIST_SUFFIXES, WHEEL_SUFFIX)):
        return _requirement_name(text) or None
    return _location_name(text, cwd)


def _location_name(text: str, cwd: str | None) -> str | None:
    """The distribution a file, URL or folder names (see :func:`distribution_of`)."""
    location, _, fragment = text.partition("#")
    eggs = [part[len("egg=") :] for part in fragment.split("&") if part.startswith("egg=")]
    location = location.split("?", 1)[0]
    base = location.rstrip("/").rsplit("/", 1)[-1]
    if os.sep != "/":
        base = base.rsplit(os.sep, 1)[-1]
    name: str | None = None
    if eggs:
        name = _requirement_name(eggs[0])
    elif base.lower().endswith(WHEEL_SUFFIX):
        name = wheel_project(base)
    elif sdist_project(base) is not None:
        name = sdist_project(base)
    elif "://" not in location or location.startswith("file://"):
        folder = location[len("file://") :] if location.startswith("file://") else location
        name = _project_name(os.path.join(cwd or os.curdir, folder))
    # else: a VCS or archive URL that names no distribution
    return name or None


def _requirement_name(text: str) -> str:
    """The distribution a requirement names, as written; "" when it names none."""
    return requirement_name(text.strip()) or ""


def _project_name(folder: str) -> str | None:
    """``[project] name`` of the project in ``folder``, if it says."""
    from safepip import tomlfile

    path = os.path.join(folder, "pyproject.toml")
    try:
        data = tomlfile.read_bytes(path)
        if data is None:
            return None
        document = tomlfile.parse_plain(path, tomlfile.decode(path, tomlfile.split_bom(data)[1]))
    except tomlfile.TomlFileError:
        return None
    project = document.get("project")
    name = project.get("name") if isinstance(project, dict) else None
    return name if isinstance(name, str) and _NAME.match(name) else None


def quote_key(part: str) -> str:
    """``part`` as a TOML key: bare when it can be, else a basic string."""
    return part if re.fullmatch(r"[A-Za-z0-9_-]+", part) else json.dumps(part, ensure_ascii=False)


def _type_name(value: object) -> str:
    names = {bool: "a boolean", int: "an integer", float: "a number", str: "a string"}
    for kind, name in names.items():
        if type(value) is kind:
            return name
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "an array"
    return f"a {type(value).__name__}"


# -- precedence ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class FixSetting:
    """The fix mode of one command, resolved once (:func:`resolve_fix`), and where it came from."""

    #: What the command line, the environment or the configuration file chose ("ask" unsaid).
    chosen: FixMode
    #: Where ``chosen`` came from: ``--yes``, ``$SAFEPIP_NO_FIX``, the file and line, "default".
    origin: Origin
    #: What becomes of a proposed fix: ``chosen``, but "explain" when nobody can be asked.
    mode: FixMode
    #: Why nobody can be asked (``--no-input``, ``PIP_NO_INPUT``, ``CI``, ``no terminal``), when
    #: that turned "ask" into "explain".
    unasked: str | None = None

    @property
    def refused(self) -> bool:
        """The user said to change nothing (``--no-fix``, ``SAFEPIP_NO_FIX``, ``fix = "no"``):
        even the fixes their configuration preapproves are only explained."""
        return self.chosen == EXPLAIN


def resolve_fix(
    options: SafepipOptions,
    config: Config | None,
    *,
    pip_args: Sequence[str] = (),
    environ: Mapping[str, str] | None = None,
) -> FixSetting:
    """The fix mode: option > ``SAFEPIP_*`` variable (both read into ``options`` by
    :func:`safepip.options.parse_command_line`) > config file > "ask"; and "ask" becomes
    "explain" when nobody can be asked (``pip_args`` for ``--no-input``, ``environ`` for
    ``PIP_NO_INPUT`` and ``CI``, and the terminal).
    """
    if options.fix is not None:
        chosen, origin = options.fix, Origin(options.fix_source or "command line")
    elif config is not None and config.fix is not None:
        chosen, origin = config.fix, config.origins["fix"]
    else:
        chosen, origin = ASK, DEFAULT
    if chosen != ASK:
        return FixSetting(chosen, origin, chosen)
    unasked = nobody_to_ask(pip_args, os.environ if environ is None else environ)
    return FixSetting(chosen, origin, ASK if unasked is None else EXPLAIN, unasked)


def effective_options(
    cli: SafepipOptions, config: Config
) -> tuple[SafepipOptions, dict[str, Origin]]:
    """safepip's options with the configuration file filled in under the command line and the
    environment: option > ``SAFEPIP_*`` variable > config file > default.

    ``cli`` is what :func:`safepip.options.parse_command_line` returned (command line and
    environment already merged, with ``from_environment`` naming the variables used). Returns a
    new SafepipOptions to use in its place, and the origin of "report" (the fix mode has its own
    resolution: :func:`resolve_fix`).
    """
    from safepip.options import SafepipOptions

    values = SafepipOptions()
    values.show_help = cli.show_help
    values.show_version = cli.show_version
    values.fix, values.fix_source = cli.fix, cli.fix_source
    values.from_environment = list(cli.from_environment)
    sources: dict[str, Origin] = {}

    used = set(cli.from_environment)
    if cli.report is not None and "SAFEPIP_REPORT" not in used:
        values.report = cli.report
        sources["report"] = Origin("--report")
    elif cli.report is not None:
        values.report = cli.report
        sources["report"] = Origin("$SAFEPIP_REPORT")
    elif config.report is not None:
        values.report = config.report
        sources["report"] = config.origins["report"]
    else:
        sources["report"] = DEFAULT
    return values, sources
