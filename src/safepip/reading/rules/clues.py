"""The rules that read clues: what a failed build could not import, and who said so.

They read the lines a build prints into pip's output (``ModuleNotFoundError: No module named``,
``BackendUnavailable``, traceback frames, ``error:`` lines). With pip's
``ERROR:`` lines and the block bounds, they are the rules still read inside a failed
subprocess's captured output (:data:`~safepip.reading.rules.BLOCK_RULES`).
"""

from __future__ import annotations

import re

from safepip import knowledge
from safepip.reading.recorder import StepRecorder
from safepip.reading.rules.base import Rule, quoted
from safepip.reading.steps import HOOKS, PLAIN_REQUIREMENT


class BackendUnavailableBlock(Rule):
    """pip 26.3 reports a missing backend in a block of its own.

    ``error: backend-unavailable`` then ``× Cannot import build backend 'flit_core.buildapi'.``
    """

    prefixes = ("Cannot import build backend ", "× Cannot import build backend ")

    def apply(self, recorder: StepRecorder, text: str) -> None:
        name = quoted(text)
        recorder.clue_backend_unavailable(name, text)


class ErrorLine(Rule):
    """pip's ``error:`` lines and setuptools' own.

    ``error: subprocess-exited-with-error``, ``error: backend-unavailable``,
    ``error: metadata-generation-failed``, ``error: invalid command 'bdist_wheel'``,
    ``error: command '/usr/bin/gcc' failed with exit code 1`` (a compiler failed), and
    setuptools' newer words for it, ``error: Command '['gcc', ...]' returned non-zero exit status
    1.`` (line_profiler 2.1.2, pip 26.3 on Python 3.13).
    """

    prefixes = ("error: ",)

    def apply(self, recorder: StepRecorder, text: str) -> None:
        what = text[7:].strip()
        if what == "backend-unavailable":
            recorder.clue_backend_unavailable(None, text)
            recorder.signal_failure(text)
        elif what in ("subprocess-exited-with-error", "metadata-generation-failed"):
            recorder.signal_failure(text)
        elif what.startswith("invalid command 'bdist_wheel'"):
            recorder.clue_bdist_wheel(text)
        elif what.startswith(("command '", 'command "', "Command '", 'Command "')):
            recorder.clue_other_failure()


class NetworkWarning(Rule):
    """Network trouble: a later "no matching distribution" is the network's fault, not a finding.

    ``WARNING: Retrying (Retry(total=4, ...)) after connection broken by 'NewConnectionError(...)'``
    """

    prefixes = ("WARNING: Retrying", "WARNING: Could not fetch", "Could not fetch URL")

    def apply(self, recorder: StepRecorder, text: str) -> None:
        recorder.clue_network()


class BackendUnavailableTraceback(Rule):
    """pip 21-25 crash on a missing backend with a traceback.

    ``pip._vendor.pep517.wrappers.BackendUnavailable: Traceback (most recent call last):``
    (pip <= 22.3), ``pip._vendor.pyproject_hooks._impl.BackendUnavailable: Traceback ...``
    (pip 23-24), ``pip._vendor.pyproject_hooks._impl.BackendUnavailable: Cannot import
    'setuptools.build_meta'`` (pip 25), ``... Cannot find module 'backend' in ['tools']``.
    """

    prefixes = ("pip._vendor.", "pyproject_hooks.", "pep517.", "BackendUnavailable")

    def apply(self, recorder: StepRecorder, text: str) -> None:
        head = text.split(":", 1)[0]
        if not (head.endswith(("BackendUnavailable", "BackendInvalid"))):
            return
        message = text[len(head) + 1 :].strip()
        if message.startswith("Cannot find module "):
            recorder.clue_backend_unavailable(quoted(message), text, path_wrong=True)
        elif message.startswith("Cannot import "):
            recorder.clue_backend_unavailable(quoted(message), text)
        else:
            recorder.clue_backend_unavailable(None, text)
        recorder.signal_failure(text)


class MissingModule(Rule):
    """An import failed inside a build.

    ``ModuleNotFoundError: No module named 'numpy'``, ``ImportError: No module named Cython.Build``
    (Python 2 style), pip 26's ``╰─> ModuleNotFoundError: No module named 'flit_core'``.
    """

    prefixes = ("ModuleNotFoundError: ", "ImportError: No module named ")

    def apply(self, recorder: StepRecorder, text: str) -> None:
        _, _, rest = text.partition("No module named ")
        rest = rest.strip()
        if not rest:
            return
        module = rest[1:].split(rest[0], 1)[0] if rest[0] in "'\"" else rest.split()[0]
        module = module.strip().rstrip(".;,")
        if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*", module):
            recorder.clue_module(module, text)


class HandledImport(Rule):
    """The build caught the import error it just printed and failed on something else.

    ``During handling of the above exception, another exception occurred:`` (em73xx 0.11, pip
    26.3 on Python 3.13: setup.py catches ``No module named 'pypandoc'``, then fails on
    ``FileNotFoundError: ... 'README.md'``): no name table may turn that import into a fix.
    """

    prefixes = ("During handling of the above exception",)

    def apply(self, recorder: StepRecorder, text: str) -> None:
        recorder.clue_import_handled()


class DroppedApiCall(Rule):
    """A build called something a newer release of a build requirement removed (curated lines).

    ``AttributeError: 'build_ext' object has no attribute 'cython_sources'`` (PyYAML 5.4.1,
    pip 24.3.1 on Python 3.12 and pip 26.3 on 3.13: the last line of the output of ``Getting
    requirements to build wheel``, after the frame ``File "<string>", line 201, in
    get_source_files``; its requires lists ``Cython`` unpinned and Cython 3.0 removed it).
    """

    prefixes = tuple(knowledge.DROPPED_APIS)

    def apply(self, recorder: StepRecorder, text: str) -> None:
        entry = knowledge.DROPPED_APIS.get(text.strip())
        if entry is not None:
            recorder.clue_dropped_api(entry, text)


class SetupRequiresCommand(Rule):
    """setuptools' ``setup_requires`` / ``fetch_build_eggs`` ran pip, which the build env lacks.

    setuptools runs ``<python> -m pip wheel ... REQ``: in pip's isolated environment that prints
    ``/tmp/pip-build-env-x/.../python: No module named pip``, then
    ``distutils.errors.DistutilsError: Command '['/venv/bin/python', '-m', 'pip',
    '--disable-pip-version-check', 'wheel', '--no-deps', '-w', '/tmp/tmpnmaku6nf', '--quiet',
    'Cython']' returned non-zero exit status 1.`` (pip 24.2 on Python 3.13, setuptools 84, a
    setup.py calling ``dist.Distribution().fetch_build_eggs(["Cython"])``, the idiom of old
    sdists; tests/projects/setup-requires-cython reproduces it). The requirement is the
    command's last word.
    """

    prefixes = (
        "distutils.errors.DistutilsError: Command ",
        "setuptools._distutils.errors.DistutilsError: Command ",
    )

    def apply(self, recorder: StepRecorder, text: str) -> None:
        start, end = text.find("["), text.rfind("]")
        if start < 0 or end < start:
            return
        words = re.findall(r"'([^']*)'|\"([^\"]*)\"", text[start + 1 : end])
        items = [single or double for single, double in words]
        if "pip" not in items or "wheel" not in items or items.index("wheel") == len(items) - 1:
            return
        requirement = items[-1].strip()
        if requirement.startswith("-") or not PLAIN_REQUIREMENT.fullmatch(requirement):
            return
        recorder.clue_setup_requirement(requirement, text)


class NestedSdist(Rule):
    """While installing build dependencies, pip's subprocess fetched a requirement as an sdist.

    ``Collecting numpy==1.17.3`` then ``Downloading numpy-1.17.3.zip (6.4 MB)``, inside the output
    of ``× pip subprocess to install build dependencies did not run successfully.`` (scipy 1.5.4,
    whose requires pins numpy==1.17.3: no wheel for Python 3.13, and its own build fails with
    ``NameError: name 'CCompiler' is not defined``; pip 24.2). The nested build's errors belong
    to that requirement: the finding is that it could not be installed. pyEDFlib 0.1.22 (pip
    26.3 on Python 3.13): ``Collecting numpy<=1.19.3`` / ``Downloading numpy-1.19.3.zip``, then
    the nested build's own ``Installing build dependencies: started``, ``error:
    backend-unavailable``, ``× Cannot import build backend 'setuptools.build_meta:__legacy__'.``,
    ``╰─> ModuleNotFoundError: No module named 'distutils'`` and ``ERROR: Failed to build 'numpy'
    when calling build backend hook get_requires_for_build_wheel``, all inside ``× installing
    build dependencies for pyEDFlib did not run successfully.``; pip 24.3.1 on 3.12 prints
    pip's own ``ERROR: Exception:`` traceback there, ending in the same import error. While
    that output is read (:meth:`StepRecorder._nested`), only these lines and pip's "no matching
    distribution" count.
    """

    prefixes = ("Collecting ", "Downloading ", "Using cached ")

    def apply(self, recorder: StepRecorder, text: str) -> None:
        recorder.clue_nested(text)


class DistributionNotFound(Rule):
    """setup.py asked pkg_resources (or easy_install) for a distribution the build lacks.

    ``pkg_resources.DistributionNotFound: The 'setuptools_scm' distribution was not found and
    is required by the application``, ``distutils.errors.DistutilsError: Could not find suitable
    distribution for Requirement.parse('numpy')``.
    """

    prefixes = ("pkg_resources.DistributionNotFound", "distutils.errors.DistutilsError: Could not")

    def apply(self, recorder: StepRecorder, text: str) -> None:
        if text.startswith("pkg_resources"):
            name = quoted(text)
        else:
            match = re.search(r"Requirement\.parse\(['\"]([^'\"]+)['\"]\)", text)
            name = match.group(1) if match else None
        if name:
            recorder.clue_setup_requirement(name, text)


class TracebackFrame(Rule):
    """Traceback frames tell the hook, whether the build was isolated, and who imported what.

    ``  File ".../pyproject_hooks/_impl.py", line 174, in get_requires_for_build_wheel``,
    ``  File "/tmp/pip-build-env-kbvnczv_/overlay/lib/python3.9/site-packages/setuptools/...``,
    ``  File "/tmp/pip-install-7qljoggo/web-py_a8174113041d4d62abf41035e4875998/web/__init__.py",
    line 14, in <module>`` (web.py 0.37, pip 26.3 on Python 3.13: the package's own file, in
    pip's unpacked copy of the sdist, whose next line ``import utils, db, net, ...`` fails).
    """

    prefixes = ('File "',)

    _python = re.compile(r"/lib(?:64)?/python(3\.\d+)/")
    _own_file = re.compile(r'File "[^"]*/pip-(?:install-[^/"]+/[^/"]+|req-build-[^/"]+)/([^"]+)"')

    def apply(self, recorder: StepRecorder, text: str) -> None:
        match = self._own_file.match(text)
        recorder.clue_frame(match.group(1) if match else None)
        if "pip-build-env-" in text:
            recorder.clue_isolated()
            python = self._python.search(text)
            if python:
                recorder.clue_build_python(python.group(1))
        if "pyproject_hooks" in text or "pep517" in text:
            function = text.rsplit(" in ", 1)[-1].strip()
            hook = HOOKS.get(function)
            if hook is not None:
                recorder.clue_hook(hook)


class CompilerFailure(Rule):
    """A failure that is not one of ours: a compiler or a linker gave up.

    ``error: command '/usr/bin/gcc' failed with exit code 1`` (read by ErrorLine),
    ``clang: error: linker command failed``, ``fatal error: foo.h: No such file or directory``.
    """

    prefixes = ("fatal error:", "clang: error:", "collect2: error:")

    def apply(self, recorder: StepRecorder, text: str) -> None:
        recorder.clue_other_failure()


class ToolRemoved(Rule):
    """A build's exception lies in a build tool's own code, at something a newer release removed.

    ``ImportError: cannot import name 'msvccompiler' from 'distutils'
    (/tmp/pip-build-env-rwvqielv/overlay/lib/python3.13/site-packages/setuptools/_distutils/
    __init__.py). Did you mean: 'ccompiler'?`` (preshed 3.0.6, pip 26.3 on Python 3.13, in the
    output of ``Getting requirements to build wheel``; murmurhash 1.0.7 the same; setuptools
    74.0.0 removed the module). ``error in anyjson setup command: use_2to3 is invalid.``
    (anyjson 0.3.3, pip 26.3 on Python 3.13: setuptools' own words; setuptools 58.0.0 removed
    2to3). Only the lines of ``knowledge.TOOL_REMOVALS``, each with the tool's own file or words.
    """

    prefixes = tuple(sorted({start for start, _, _ in knowledge.TOOL_REMOVALS}))

    def apply(self, recorder: StepRecorder, text: str) -> None:
        for start, words, entry in knowledge.TOOL_REMOVALS:
            if text.startswith(start) and words in text.replace("\\", "/"):
                recorder.clue_dropped_api(entry, text)
                return


#: A message of Cython's compiler: ``fastkde/floodFillSearch.pyx:72:28: 'int_t' is not a type
#: identifier``.
_CYTHON_MESSAGE = re.compile(r"\S+\.(?:pyx|pxd|pxi):\d+:\d+: (.+)")

#: How many lines of one ``Error compiling Cython file:`` block are read, at most: the code
#: excerpt Cython quotes, its caret and rules, then the message.
CYTHON_BLOCK_LINES = 40


class CythonError(Rule):
    """Cython's compiler rejected a file: the message that follows may name a tool's change.

    ``Error compiling Cython file:``, a row of dashes, Cython's excerpt of the code, a caret,
    dashes, then ``pyduktape2.pyx:742:29: Cannot assign type 'duk_ret_t (duk_context *) except?
    -1' to 'duk_c_function' (alias of 'duk_ret_t (*)(duk_context *) noexcept'). Exception values
    are incompatible. Suggest adding 'noexcept' to the type of 'callback_finalizer'.``
    (pyduktape2 0.4.3, pip 26.3 on Python 3.13, in the output of ``Building wheel``, before
    ``Cython.Compiler.Errors.CompileError: pyduktape2.pyx``). The message line starts with the
    file's path, which no prefix can select: the lines of the block are offered to
    :class:`CythonMessage` (at most :data:`CYTHON_BLOCK_LINES`).
    """

    prefixes = ("Error compiling Cython file:",)

    def apply(self, recorder: StepRecorder, text: str) -> None:
        recorder.read_every_line(("", CythonMessage.read), CYTHON_BLOCK_LINES)


class CythonMessage:
    """The message line of Cython's error block (see :class:`CythonError`), looked up in the
    curated ``knowledge.CYTHON_MESSAGES``."""

    @staticmethod
    def read(recorder: StepRecorder, text: str) -> None:
        match = _CYTHON_MESSAGE.fullmatch(text)
        if match is None:
            return
        recorder.stop_reading_every_line()
        message = match.group(1)
        for words, entry in knowledge.CYTHON_MESSAGES.items():
            if words in message:
                recorder.clue_dropped_api(entry, text, first=True)
                return


class CythonCompileError(Rule):
    """Cython's build gave up: its compiler rejected a file (the tool's own exception).

    ``Cython.Compiler.Errors.CompileError: pydensecrf/eigen.pyx`` (pydensecrf 1.0rc3, pip 26.3
    on Python 3.13, the last line of the output of ``Building wheel``, after ``raise
    CompileError(None, pyx_file)`` in the build environment's ``Cython/Build/Dependencies.py``;
    its message, ``'eigen.pxd' not found``, is none ``knowledge.CYTHON_MESSAGES`` lists).
    """

    prefixes = (knowledge.CYTHON_COMPILE_ERROR,)

    def apply(self, recorder: StepRecorder, text: str) -> None:
        recorder.clue_cython_failed(text)
