"""A build script's own words: a setup.py that caught the ImportError and said so itself.

Many setup.py files catch the import of a build requirement and print their own sentence, then
exit, with no traceback: ``Cython>=0.22 and NumPy are required.``, ``Failed to import the
'pkg_resources' Python module.``, ``ImportError: pip is not installed.``. One class rule reads
them (issue 19): a line of a failed build's captured output that names a module or distribution
of the curated table (:data:`safepip.knowledge.PROVIDERS`) together with an installation phrase
is a finding. A line that offers a way on (``Could not import Cython. Using the available
pre-generated C file.``) is not, and neither is a sentence the build went on past (a compiler
ran, a traceback followed): :class:`BuildWentOn`.
"""

from __future__ import annotations

import re

from safepip import knowledge
from safepip.names import canonical_name
from safepip.reading.recorder import StepRecorder
from safepip.reading.rules.base import Rule


def _names() -> dict[str, str]:
    """Every spelling the table knows (lower-cased module, canonical distribution) -> module."""
    found = {module.lower(): module for module in reversed(knowledge.PROVIDERS)}
    for module, provider in knowledge.PROVIDERS.items():
        found.setdefault(canonical_name(provider.distribution), module)
    return found


#: A name as a sentence spells it (``NumPy``, ``Cython>=0.22``, ``'pkg_resources'``, ``PyUSB``).
_NAMES = _names()
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*")
#: What may wrap a name in a sentence: quotes, brackets, punctuation.
_WRAPPING = "'\"`()[]{},;:!?"
#: The name is followed by a pin or a cap: a version problem, never a missing distribution.
_PINNED = re.compile(r"\s*(?:<|==|!=|~=)")

#: Phrases that follow the name: ``X must be installed``, ``X and Y are required``.
_AFTER_NAME = re.compile(
    r"\b(?:must be installed|(?:is|are) (?:required|needed|missing)|not installed"
    r"|(?:does|do)(?: not|n't) seem to be installed|(?:module )?not found|not available)\b",
    re.IGNORECASE,
)
#: Phrases that precede the name: ``Failed to import 'x'``, ``You don't seem to have X``.
_BEFORE_NAME = re.compile(
    r"\b(?:failed to (?:import|load)|(?:could not|couldn't|cannot|can't|unable to) (?:import|load)"
    r"(?! name)|do(?:n't| not) seem to have|please install|(?:need|must) to install|must install"
    r"|requires|needs)\b",
    re.IGNORECASE,
)
#: A way on: the sentence is a warning, and the build goes on without the module.
_WAY_ON = re.compile(
    r"\b(?:using|will use|be used|fall(?:ing)? ?back|instead|skip(?:ping)?|disabl\w*"
    r"|pre-?generated|continu\w*|optional|anyway|pure[ -]python"
    r"|(?:build(?:ing)?|install(?:ing)?|proceed\w*) without)\b",
    re.IGNORECASE,
)
#: A library's exception (``pkg_resources.DistributionNotFound: The 'x' distribution was not
#: found``): its words are the library's, read by their own rules, not the build script's.
_LIBRARY_EXCEPTION = re.compile(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+:")
#: pip's command in a sentence (``please "pip install numpy"``) names pip only as the tool.
_PIP_COMMAND = re.compile(r"\bpip3? install\b[^'\"`]*", re.IGNORECASE)


def named_modules(text: str) -> tuple[str, ...]:
    """The curated modules a build's own sentence says are missing, in its order; () if none.

    ``Cython>=0.22 and NumPy are required.`` -> ``("Cython", "numpy")``.
    """
    if _WAY_ON.search(text) or _LIBRARY_EXCEPTION.match(text):
        return ()
    text = _PIP_COMMAND.sub("", text)
    spans = [(0, match.start()) for match in _AFTER_NAME.finditer(text)]
    spans += [(match.end(), len(text)) for match in _BEFORE_NAME.finditer(text)]
    found: list[str] = []
    for start, end in spans:
        for raw in text[start:end].split():
            chunk = raw.strip(_WRAPPING)
            word = _WORD.match(chunk)
            if word is None or "/" in chunk or "\\" in chunk:
                continue  # a path names a file, not what is missing
            name = word.group().rstrip(".-").split(".", 1)[0]  # Cython.Distutils: Cython
            module = _NAMES.get(name.lower()) or _NAMES.get(canonical_name(name))
            if module is None or module in found or _PINNED.match(chunk, len(name)):
                continue
            found.append(module)
    return tuple(found)


#: Where such sentences begin: a curated name, an exception's or a message's first word.
_STARTS = tuple(
    sorted(
        {spelling for module in knowledge.PROVIDERS for spelling in (module, module.capitalize())}
        | {
            "ImportError: ", "RuntimeError: ", "SystemExit: ",
            "Exception: ", "Error: ", "ERROR: ", "error: ", "Failed ", "Could not ",
            "Couldn't ", "Cannot ", "Unable ", "You ", "Please ", "please ", "This ", "The ",
            "Python ", "NumPy", "Numpy", "CYTHON", "NUMPY", "WARNING: ", "Warning: ", "* ",
        }
    )
)  # fmt: skip


class OwnWords(Rule):
    """A setup.py caught the ImportError and said so in its own words (a class of sentences).

    ``Cython>=0.22 and NumPy are required.`` (pystan 2.19.1.1's setup.py, pip 24.2 on Python
    3.13: ``Preparing metadata (pyproject.toml): finished with status 'error'``, then in the
    output block a DeprecationWarning and that line); ``Failed to import the 'pkg_resources'
    Python module.`` (toprammer 0.19, pip 24.3.1 on Python 3.12 and pip 26.3 on 3.13, in the
    output of ``Getting requirements to build wheel``); ``ImportError: pip is not installed.``
    (py_entitymatching 0.4.0, pip 26.3 on Python 3.13: the last line of the output of ``Getting
    requirements to build wheel``, after the frame ``File "<string>", line 13, in <module>``);
    ``ImportError: lap requires numpy, please "pip install numpy".`` (lap 0.4.0, pip 21.3.1 on
    Python 3.9). Read only inside a failed subprocess's captured output.
    """

    prefixes = _STARTS

    def apply(self, recorder: StepRecorder, text: str) -> None:
        if not recorder.in_block:
            return
        modules = named_modules(text)
        if modules:
            recorder.clue_own_words(modules, text)


class BuildWentOn(Rule):
    """The build went on past a sentence of its own words: it was not what stopped it.

    ``Could not import Cython. Using the available pre-generated C file.`` then
    ``_line_profiler.c:152:12: fatal error: longintrepr.h: No such file or directory``
    (line_profiler 2.1.2, pip 26.3 on Python 3.13 and 24.3.1 on 3.12); setuptools' own
    progress (``running build_ext``, ``building '_line_profiler' extension``), a compiler's
    command line (``gcc -fno-strict-overflow ...``) or a new traceback say the same.
    """

    prefixes = (
        "running ", "building '", "creating ", "copying ", "Compiling ", "Cythonizing ",
        "gcc ", "cc ", "g++ ", "c++ ", "clang ", "x86_64-linux-gnu-gcc ", "[1/",
        "Traceback (most recent call last):",
    )  # fmt: skip

    def apply(self, recorder: StepRecorder, text: str) -> None:
        recorder.clue_went_on()
