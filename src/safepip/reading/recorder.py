"""The step state: what the rules have recorded about the package and the build step in progress.

A :class:`StepRecorder` is what every rule talks to. It keeps the package pip is working on, the
step that package is in (a :class:`~safepip.reading.steps.Step`) and whether the line being read
is inside a failed subprocess's captured output, and nothing else: never the lines. When a step
ends (another begins, pip moves to another package) it is handed to ``on_close``, which judges it.
"""

from __future__ import annotations

from typing import Callable

from safepip import knowledge
from safepip.names import canonical_name, is_sdist, leading_name
from safepip.reading.findings import Hook, Source
from safepip.reading.steps import (
    BUILD_DEPS,
    PEP517,
    SETUP_PY,
    Package,
    Step,
    StepKind,
    source_of_location,
)

#: Lines are offered to rules by their first ``KEY`` characters (after indentation).
KEY = 3

#: What a rule does with a line it wants.
Apply = Callable[["StepRecorder", str], None]

#: The first ``KEY`` characters of a line -> the (prefix, rule) pairs that may want it.
Dispatch = dict[str, tuple[tuple[str, Apply], ...]]


class StepRecorder:
    """The facts of the package and step in progress, recorded by the rules line by line.

    ``table`` is the dispatch the next line is offered to: every rule, or, inside a failed
    subprocess's output, only the rules that read clues (``block_table``).
    """

    def __init__(
        self, table: Dispatch, block_table: Dispatch, on_close: Callable[[Step], None]
    ) -> None:
        self.table = table
        self._all_rules = table
        self._block_rules = block_table
        self._on_close = on_close
        self._package: Package | None = None
        self._packages: dict[str, Package] = {}  # normalised name -> package, bounded below
        self._step: Step | None = None
        self._isolated_packages: set[str] = set()
        self._block_depth = 0  # blocks of captured output nest (a build inside build deps)
        #: read_every_line: the extra rule and how many more lines it reads
        self._every: tuple[tuple[str, Apply], int] | None = None
        self._step_open = False  # the current step announced "started" and has not ended yet
        self._saw_build_deps = False  # pip installed build dependencies: builds are isolated
        #: The command line had --no-build-isolation (known only when it was given).
        self.no_isolation = False

    @property
    def step(self) -> Step | None:
        """The step in progress (its output may still be being read)."""
        return self._step

    def isolation_of(self, step: Step) -> bool | None:
        """Whether ``step`` ran in an isolated build environment; None when nothing tells."""
        if step.isolated is not None:
            return step.isolated
        if step.package is not None and step.package.name in self._isolated_packages:
            return True
        if self.no_isolation:
            return False
        if step.kind == SETUP_PY:
            return False
        if self._saw_build_deps:
            return True  # isolation is one switch for the whole command
        # Otherwise the text does not tell: an isolated build whose requires is empty installs
        # nothing and prints no "Installing build dependencies" either.
        return None

    # -- captured output ---------------------------------------------------------------------

    def redispatch(self, text: str) -> None:
        """Read ``text`` as a line of its own (what follows a glyph pip drew)."""
        entries = self.table.get(text[:KEY])
        if entries is not None:
            for prefix, apply in entries:
                if text.startswith(prefix):
                    apply(self, text)

    @property
    def in_block(self) -> bool:
        """Inside a failed subprocess's output, where only clue rules apply."""
        return self._block_depth > 0

    @in_block.setter
    def in_block(self, value: bool) -> None:
        self.table = self._block_rules if value else self._all_rules
        if self._every is not None:
            self.table = _EveryLine(self, self.table, self._every[0])
        self._block_depth = 1 if value else 0

    def open_block(self) -> None:
        """A subprocess's captured output begins (possibly inside another's)."""
        depth = self._block_depth + 1
        self.in_block = True
        self._block_depth = depth

    def close_block(self) -> None:
        """A subprocess's captured output ends: back to the enclosing block, or to pip's text."""
        depth = self._block_depth - 1
        self.in_block = depth > 0
        self._block_depth = max(depth, 0)

    def _nested(self) -> bool:
        """Reading the captured output of pip's build-dependency subprocess.

        What a requirement built there from its sdist prints (its steps, its backend or import
        errors, its hook, pip's crash in that subprocess) is that requirement's, never the
        package's: only the requirement's name and whether pip could find it are read.
        """
        step = self._step
        return step is not None and step.kind == BUILD_DEPS and self.in_block

    # -- packages and steps ------------------------------------------------------------------

    def inside_build_deps(self) -> bool:
        step = self._step
        return step is not None and step.kind == BUILD_DEPS and not step.failed and self._step_open

    def start_package(self, name: str, source: Source | None) -> None:
        package = Package(name, source)
        self._remember(package)
        self.switch_package(package)

    def switch_package(self, package: Package) -> None:
        self._close_step()
        self._package = package
        self.in_block = False

    def package_named(self, name: str) -> Package:
        """The package pip now calls ``name`` (it names local projects by path, then by name)."""
        key = canonical_name(name)
        known = self._packages.get(key)
        if known is not None:
            return known
        # A local project is "Processing ./proj" first and "Building wheel for name" later:
        # when the current package is a path whose folder bears the name, it is the same one.
        current = self._package
        if current is not None and current.source in ("local", "editable", "sdist", "vcs"):
            base = current.name.rstrip("/").rsplit("/", 1)[-1]
            if canonical_name(base).startswith(key):
                return current
        package = Package(name, None)
        self._remember(package)
        return package

    def _remember(self, package: Package) -> None:
        if len(self._packages) > 10_000:  # a requirements file can be long; memory stays bounded
            self._packages.clear()
        name = package.name
        self._packages[canonical_name(leading_name(name) or name)] = package

    def enter_step(self, kind: StepKind | None, hook: Hook | None, status: str) -> None:
        """A step's progress line: ``started``, ``finished with status 'error'``, ``... done``."""
        step = self._step
        same = step is not None and step.kind == kind and step.hook == hook
        if (not same or status in ("", "started")) and not (
            same and step is not None and not step.failed
        ):
            self._close_step()
            step = self._step = Step(self._package, kind, hook)
            if kind == BUILD_DEPS:
                self._saw_build_deps = True
                if self._package is not None:
                    self._isolated_packages.add(self._package.name)
        if step is None:  # unreachable: a step was opened above; keeps the type checker honest
            return
        step.announced = True
        self._step_open = True
        if status.endswith(("'error'", " error")) or status == "error":
            step.failed = True
            self._step_open = False
        elif status.endswith(("'done'", "done")):
            self._step_open = False

    def confirm_step(self, kind: StepKind | None, hook: Hook | None) -> None:
        """A failure banner names the step: start one if none was announced (``-q``)."""
        if self._nested():
            return  # a nested build's step, not the package's
        step = self._step
        if step is None or (kind is not None and step.kind not in (kind, None)):
            self._close_step()
            step = self._step = Step(self._package, kind, hook)
            return
        if step.kind is None:
            step.kind = kind
        if hook is not None and (step.hook is None or kind is None):
            step.hook = hook

    def signal_failure(self, evidence: str, name: str | None = None) -> None:
        step = self._step
        if step is None:
            step = self._step = Step(self._package, None, None)
        step.failed = True
        self._step_open = False
        if not step.evidence:
            step.evidence = evidence
        if name is not None:
            self.name_failed_package(name)

    def name_failed_package(self, name: str) -> None:
        step = self._step
        if step is None or self._nested():
            return
        if step.package is not None and step.package.name.rstrip("/").rsplit("/", 1)[-1] in (
            "",
            ".",
            "..",
        ):
            # "Processing ./." names no project; the failure line names its folder.
            step.package.name = name
            return
        if step.package is None:
            step.package = self.package_named(name) if "/" not in name else Package(name, None)
            if step.package.source is None and "/" in name:
                step.package.source = source_of_location(name, "local")

    def clue_module(self, module: str, evidence: str, also: tuple[str, ...] = ()) -> None:
        if self._nested():
            return
        step = self._ensure_step()
        step.module_file = step.frame_file
        step.module = module
        step.module_evidence = evidence
        step.also_modules = also
        step.words = None
        step.module_handled = False

    def clue_own_words(self, modules: tuple[str, ...], sentence: str) -> None:
        """A build's own sentence named missing modules (``Cython>=0.22 and NumPy are
        required.``): a finding unless the build goes on past it (:meth:`clue_went_on`)."""
        if self._nested():
            return
        self.clue_module(modules[0], sentence, also=modules[1:])
        self._ensure_step().words = sentence

    def clue_went_on(self) -> None:
        """The build went on past its own sentence (a compiler ran): it did not stop there."""
        step = self._step
        if step is not None and step.words is not None:
            step.module = step.words = None
            step.also_modules = ()

    def clue_import_handled(self) -> None:
        step = self._step
        if step is not None and step.module is not None and not self._nested():
            step.module_handled = True

    def clue_backend_unavailable(
        self, backend: str | None, evidence: str, *, path_wrong: bool = False
    ) -> None:
        if self._nested():
            return
        step = self._ensure_step()
        step.backend_unavailable = True
        if backend or not step.backend_evidence:
            step.backend_evidence = evidence
        if backend:
            step.backend = backend
        if path_wrong:
            step.backend_path_wrong = True

    def clue_bdist_wheel(self, evidence: str) -> None:
        if self._nested():
            return
        step = self._ensure_step()
        step.bdist_wheel = True
        step.module_evidence = evidence

    def clue_dropped_api(
        self, entry: knowledge.DroppedApi, evidence: str, *, first: bool = False
    ) -> None:
        """``first``: keep an entry already recorded (the first of several compiler messages)."""
        if self._nested():
            return
        step = self._ensure_step()
        if first and step.dropped_api is not None:
            return
        step.dropped_api = entry
        step.module_evidence = evidence

    def clue_cython_failed(self, evidence: str) -> None:
        if self._nested():
            return
        self._ensure_step().cython_failed = evidence

    def clue_build_python(self, version: str) -> None:
        """The Python of the build environment (``3.13``), read in its paths."""
        step = self._step
        if step is not None and not self._nested():
            step.python = version

    def read_every_line(self, entry: tuple[str, Apply], lines: int) -> None:
        """Offer each of the next ``lines`` lines to ``entry`` as well, whatever it starts with
        (a compiler's message that begins with a file's path); then back to the rules. A
        block's start or end on the way (a row of dashes) keeps it."""
        self._every = (entry, lines)
        self.table = _EveryLine(self, self.table, entry)

    def stop_reading_every_line(self) -> None:
        self._every = None
        if isinstance(self.table, _EveryLine):
            self.table = self.table.rules

    def _counted_line(self) -> None:
        if self._every is not None:
            entry, left = self._every
            self._every = (entry, left - 1)
            if left <= 1:
                self.stop_reading_every_line()

    def clue_setup_requirement(self, name: str, evidence: str) -> None:
        if self._nested():
            return
        step = self._ensure_step()
        step.setup_requirement = name
        step.module_evidence = evidence

    def clue_nested(self, text: str) -> None:
        """A line of pip's build-dependency subprocess: which requirement came as an sdist."""
        step = self._step
        if step is None or step.kind != BUILD_DEPS:
            return
        word, _, rest = text.partition(" ")
        if word == "Collecting":
            step.nested_collecting = rest.split(" (from ", 1)[0].strip() or None
            return
        location = rest[len("cached ") :] if word == "Using" else rest
        filename = location.split(" ", 1)[0].rsplit("/", 1)[-1]
        if step.nested_collecting and is_sdist(filename):
            step.nested_sdist = step.nested_collecting
            if not step.requirement_evidence:
                step.requirement_evidence = text

    def clue_requirement_unavailable(self, requirement: str, evidence: str) -> None:
        step = self._step
        if step is None or step.kind != BUILD_DEPS:
            return  # a runtime dependency pip cannot find: not a build failure
        if step.requirement is None:
            step.requirement = requirement
            step.requirement_evidence = evidence

    def clue_network(self) -> None:
        if self._step is not None:
            self._step.network = True

    def clue_pip_crash(self) -> None:
        # pip's own traceback: an import error in it is pip's, unless it is BackendUnavailable.
        if self._nested():
            return  # the build-dependency subprocess crashed: its requirement failed
        self._ensure_step().pip_crash = True

    def clue_isolated(self) -> None:
        if self._step is not None:
            self._step.isolated = True

    def clue_frame(self, path: str | None) -> None:
        """A traceback frame: ``path`` inside pip's copy of the package, or None (elsewhere)."""
        step = self._step
        if step is not None and not self._nested():
            step.frame_file = path

    def clue_hook(self, hook: Hook) -> None:
        if self._nested():
            return
        step = self._step
        if step is not None and step.kind != BUILD_DEPS and step.hook is None:
            step.hook = hook
            if step.kind is None:
                step.kind = PEP517

    def clue_other_failure(self) -> None:
        # A compiler or linker failed after the import error: the import was not what broke it.
        step = self._step
        if step is not None:
            step.module = step.words = None
            step.bdist_wheel = False

    def _ensure_step(self) -> Step:
        if self._step is None:
            self._step = Step(self._package, None, None)
        return self._step

    def _close_step(self) -> None:
        step = self._step
        self._step = None
        self._step_open = False
        self.in_block = False
        if step is not None:
            self._on_close(step)


class _EveryLine(Dispatch):
    """A dispatch that offers every line to one more rule (``StepRecorder.read_every_line``)."""

    def __init__(self, recorder: StepRecorder, rules: Dispatch, entry: tuple[str, Apply]) -> None:
        super().__init__(rules)
        self.rules = rules
        self._recorder = recorder
        self._entry = entry

    def get(
        self, key: str, default: object = None
    ) -> tuple[tuple[str, Apply], ...]:  # never None: every line is wanted
        self._recorder._counted_line()
        return (*self.rules.get(key, ()), self._entry)
