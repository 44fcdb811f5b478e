"""``decide()`` in-process, with plain values: every failure kind and every kind of fix.

No subprocess and no file system: the facts a session gathers (local sdists, the projects the
command names, fetched sdists, installed versions, the user's configuration) are written here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from safepip.changes import AddRequirement, CapRequirement, SetBackend
from safepip.deciding.actions import PatchedSdist
from safepip.deciding.decide import Decision, advice, attribute, decide
from safepip.deciding.facts import ExtraRequirement, Facts, PackageFacts
from safepip.reading.findings import BuildFailure

PYPROJECT = "/home/me/proj/pyproject.toml"
SDIST = "/home/me/wheels/oldpkg-1.0.tar.gz"
TARGET = "/venv/bin/python"


def _flit(**fields: object) -> BuildFailure:
    values: dict[str, object] = {
        "kind": "backend-unavailable",
        "package": "./proj",
        "source": "local",
        "module": "flit_core",
        "distribution": "flit_core",
        "requirement": "flit_core>=3.2",
        "pyproject": PYPROJECT,
    }
    values.update(fields)
    return BuildFailure(**values)


def _missing(
    package: str, distribution: str, requirement: str | None, **fields: object
) -> BuildFailure:
    values: dict[str, object] = {
        "kind": "build-dependency-missing",
        "package": package,
        "source": "index",
        "module": distribution,
        "distribution": distribution,
        "requirement": requirement,
    }
    values.update(fields)
    return BuildFailure(**values)


def _pkg_resources(package: str = "oldpkg", **fields: object) -> BuildFailure:
    return _missing(package, "setuptools", "setuptools<82", module="pkg_resources", **fields)


def _cython_too_new(package: str = "PyYAML", **fields: object) -> BuildFailure:
    values: dict[str, object] = {
        "kind": "build-dependency-too-new",
        "package": package,
        "source": "index",
        "distribution": "Cython",
        "requirement": "Cython<3.0",
    }
    values.update(fields)
    return BuildFailure(**values)


NAMED = {"./proj": PackageFacts(named_pyproject=PYPROJECT)}
LOCAL_SDIST = {"oldpkg": PackageFacts(local_sdist=SDIST)}
FETCHED = {"oldpkg": "oldpkg-1.0.tar.gz"}


@dataclass(frozen=True)
class Case:
    failure: BuildFailure
    facts: Facts
    #: Each fix expected, best first: (kind, the change's words, what gets installed).
    want: list[tuple[str, tuple[str, ...], list[str]]]
    #: Words the first fix's summary must contain.
    summary: tuple[str, ...] = ()
    tried: frozenset[str] = field(default_factory=frozenset)
    from_patched: bool = False


def _facts(**fields: object) -> Facts:
    return Facts(target_python=TARGET, **fields)


CASES = [
    pytest.param(Case(
        _flit(), _facts(packages=NAMED),
        [("patch-pyproject", ("add", "flit_core>=3.2"), [])],
        ('add "flit_core>=3.2" to [build-system] requires in ' + PYPROJECT,),
    ), id="backend-unavailable/named-project/patch-pyproject-add"),
    pytest.param(Case(
        _flit(requirement=None, suggestion="flit_core.buildapi"), _facts(packages=NAMED),
        [("patch-pyproject", ("backend", "flit_core.buildapi"), [])],
        ('set [build-system] build-backend = "flit_core.buildapi"',),
    ), id="backend-unavailable/typo/patch-pyproject-backend"),
    pytest.param(Case(
        _pkg_resources("./proj", source="local", pyproject=PYPROJECT), _facts(packages=NAMED),
        [("patch-pyproject", ("constrain", "setuptools", "<82"), [])],
        ('constrain "setuptools<82" in [build-system] requires of ' + PYPROJECT,),
    ), id="build-dependency-missing/named-project/patch-pyproject-cap"),
    pytest.param(Case(
        _pkg_resources("./proj", source="local", pyproject=PYPROJECT),
        _facts(packages={
            "./proj": PackageFacts(named_pyproject=PYPROJECT, named_pyproject_exists=False)
        }),
        [("build-constraint", ("constrain", "setuptools", "<82"), [])],
        ('the build constraint "setuptools<82"',),
    ), id="build-dependency-missing/named-setup-py-only-project/build-constraint"),
    pytest.param(Case(
        _flit(isolated=False), _facts(packages=NAMED),
        [("install-build-dependency", (), ["flit_core>=3.2"])],
        (f'install "flit_core>=3.2" into the target environment ({TARGET})',),
    ), id="backend-unavailable/not-isolated/install-build-dependency"),
    pytest.param(Case(
        _missing("oldpkg", "numpy", "numpy"), _facts(no_build_isolation=True),
        [("install-build-dependency", (), ["numpy"])],
    ), id="build-dependency-missing/command-without-isolation/install-build-dependency"),
    pytest.param(Case(
        _missing("oldpkg", "numpy", "numpy"), _facts(packages=LOCAL_SDIST),
        [("build-patched-sdist", ("add", "numpy"), []),
         ("install-and-build-without-isolation", (), ["numpy"])],
        ("build oldpkg-1.0.tar.gz from a patched copy", 'add "numpy" to'),
    ), id="build-dependency-missing/local-sdist/patched-sdist-first"),
    pytest.param(Case(
        _missing("oldpkg", "numpy", "numpy"), _facts(fetched=FETCHED),
        [("build-patched-sdist", ("add", "numpy"), []),
         ("install-and-build-without-isolation", (), ["numpy"])],
        ("build oldpkg-1.0.tar.gz from a patched copy",),
    ), id="build-dependency-missing/fetched-sdist/patched-remote-sdist-first"),
    pytest.param(Case(
        _missing("oldpkg", "numpy", "numpy"), _facts(),
        [("install-and-build-without-isolation", (), ["numpy"])],
        ("--no-build-isolation",),
    ), id="build-dependency-missing/no-sdist/install-and-build-without-isolation"),
    pytest.param(Case(
        _missing("torchext", "torch", "torch"), _facts(fetched={"torchext": "torchext-1.tar.gz"}),
        [("install-and-build-without-isolation", (), ["torch"]),
         ("build-patched-sdist", ("add", "torch"), [])],
    ), id="build-dependency-missing/match-runtime/install-first"),
    pytest.param(Case(
        _pkg_resources(), _facts(packages=LOCAL_SDIST),
        [("build-constraint", ("constrain", "setuptools", "<82"), []),
         ("build-patched-sdist", ("constrain", "setuptools", "<82"), []),
         ("install-and-build-without-isolation", (), ["setuptools<82"])],
        ('the build constraint "setuptools<82"',),
    ), id="build-dependency-missing/cap/build-constraint-first"),
    pytest.param(Case(
        _pkg_resources(), _facts(packages=LOCAL_SDIST), from_patched=True,
        want=[("build-patched-sdist", ("constrain", "setuptools", "<82"), []),
              ("install-and-build-without-isolation", (), ["setuptools<82"])],
    ), id="build-dependency-missing/from-patched-build/no-build-constraint"),
    pytest.param(Case(
        _cython_too_new("./proj", source="local", pyproject=PYPROJECT), _facts(packages=NAMED),
        [("patch-pyproject", ("constrain", "Cython", "<3.0"), [])],
        ('constrain "Cython<3.0" in [build-system] requires of ' + PYPROJECT,),
    ), id="build-dependency-too-new/named-project/patch-pyproject-cap"),
    pytest.param(Case(
        _cython_too_new(), _facts(fetched={"pyyaml": "PyYAML-5.4.1.tar.gz"}),
        [("build-constraint", ("constrain", "Cython", "<3.0"), []),
         ("build-patched-sdist", ("constrain", "Cython", "<3.0"), []),
         ("install-and-build-without-isolation", (), ["Cython<3.0"])],
        ('the build constraint "Cython<3.0"',),
    ), id="build-dependency-too-new/fetched-sdist/build-constraint-first"),
    pytest.param(Case(
        _missing("oldpkg", "numpy", "numpy"), _facts(packages=LOCAL_SDIST),
        tried=frozenset({f"build-patched-sdist:{SDIST}:add|numpy::"}),
        want=[("install-and-build-without-isolation", (), ["numpy"])],
    ), id="build-dependency-missing/already-tried/next-fix"),
    pytest.param(Case(
        _flit(source="index", package="oldpkg", pyproject=None, requirement=None,
              suggestion="flit_core.buildapi"),
        _facts(packages=LOCAL_SDIST),
        [("build-patched-sdist", ("backend", "flit_core.buildapi"), [])],
    ), id="backend-unavailable/typo-in-an-sdist/patched-sdist-only"),
    pytest.param(Case(
        _pkg_resources("./other", source="local"), _facts(),
        [("build-constraint", ("constrain", "setuptools", "<82"), [])],
    ), id="build-dependency-missing/unnamed-local-path/build-constraint-only"),
    pytest.param(Case(
        _flit(package="../elsewhere", pyproject="/home/me/elsewhere/pyproject.toml"), _facts(),
        [],
    ), id="backend-unavailable/unnamed-local-path/no-fix"),
    pytest.param(Case(
        _missing("oldpkg", "numpy", "numpy @ https://example.org/numpy.whl"),
        _facts(packages=LOCAL_SDIST), [],
    ), id="build-dependency-missing/direct-url/no-fix"),
    pytest.param(Case(
        _missing("oldpkg", "numpy", 'numpy; python_version < "3.12"'),
        _facts(packages=LOCAL_SDIST), [],
    ), id="build-dependency-missing/marker/no-fix"),
    pytest.param(Case(
        BuildFailure(kind="build-dependency-missing", package="oldpkg", source="index",
                     module="numpy_ext"), _facts(), [],
    ), id="build-dependency-missing/no-distribution-known/no-fix"),
    pytest.param(Case(
        BuildFailure(kind="build-requirement-unavailable", package="./proj", source="local",
                     requirement="nope>=2", pyproject=PYPROJECT),
        _facts(packages=NAMED), [],
    ), id="build-requirement-unavailable/no-fix"),
    pytest.param(Case(
        BuildFailure(kind="unidentified-import", package="oldpkg", source="index",
                     module="distutils"),
        _facts(packages=LOCAL_SDIST), [],
    ), id="unidentified-import/no-fix"),
    pytest.param(Case(
        BuildFailure(kind="pip-too-old", package="./proj", source="editable",
                     requirement="pip>=21.3"),
        _facts(),
        [("upgrade-pip", (), ["--upgrade", "pip>=21.3"])],
        (f'upgrade pip in the target environment ({TARGET}) to "pip>=21.3"',),
    ), id="pip-too-old/upgrade-pip"),
    pytest.param(Case(
        BuildFailure(kind="pip-too-old", package="./proj", source="editable"), _facts(), [],
    ), id="pip-too-old/no-requirement/no-fix"),
]  # fmt: skip


def _shape(decision: Decision) -> list[tuple[str, tuple[str, ...], list[str]]]:
    """Each fix as the report has it: its kind, its change's words, what it installs."""
    shapes = []
    for remedy in decision.remedies:
        fields = remedy.action.report_fields()
        change, install = fields["change"], fields["install"]
        assert isinstance(change, list)
        assert isinstance(install, list)
        shapes.append((remedy.kind, tuple(change), install))
    return shapes


@pytest.mark.parametrize("case", CASES)
def test_decide(case: Case) -> None:
    [decision] = decide(
        [case.failure], case.facts, tried=case.tried, from_patched=case.from_patched
    )
    assert decision.failure is case.failure
    assert _shape(decision) == case.want
    if case.want:
        assert decision.best is decision.remedies[0]
        for words in case.summary:
            assert words in decision.remedies[0].summary
    else:
        assert decision.best is None


def _configured(
    extras: tuple[ExtraRequirement, ...], *, source: str = "index", **facts: object
) -> tuple[Decision, BuildFailure]:
    failure = _missing("torchext", "torch", "torch", source=source)
    known = PackageFacts(local_sdist=SDIST, extras=extras, extras_origin="config.toml:3")
    [decision] = decide([failure], _facts(packages={"torchext": known}, **facts))
    return decision, failure


@pytest.mark.parametrize(
    ("extras", "installed", "want_added", "want_extra"),
    [
        pytest.param((ExtraRequirement("cython<3"),), {}, "cython<3", [], id="plain"),
        pytest.param(
            (ExtraRequirement("torch", match_runtime=True), ExtraRequirement("numpy")),
            {"torch": "2.3.1"},
            "torch==2.3.1",
            ["numpy"],
            id="match-runtime-pinned-to-the-installed-version",
        ),
        pytest.param(
            (ExtraRequirement("torch>=2", match_runtime=True),),
            {},
            "torch>=2",
            [],
            id="match-runtime-not-installed-builds-against-any",
        ),
    ],
)
def test_configured_extra_build_dependencies(
    extras: tuple[ExtraRequirement, ...],
    installed: dict[str, str],
    want_added: str,
    want_extra: list[str],
) -> None:
    decision, _ = _configured(extras, installed=installed)
    [remedy] = decision.remedies  # the user's configuration is the only fix proposed
    assert isinstance(remedy.action, PatchedSdist)
    assert remedy.kind == "build-patched-sdist"
    assert remedy.preapproved
    assert remedy.action.sdist == SDIST
    assert remedy.action.change == AddRequirement(want_added)
    assert list(remedy.action.extra_requirements) == want_extra
    assert "your [extra-build-dependencies], config.toml:3" in remedy.summary


def test_configured_extras_never_touch_the_users_own_project() -> None:
    decision, _ = _configured((ExtraRequirement("cython"),), source="local")
    assert [remedy.kind for remedy in decision.remedies] == []


def test_one_decision_per_failure_in_order() -> None:
    failures = [_flit(), _missing("oldpkg", "numpy", "numpy")]
    decisions = decide(failures, _facts(packages=NAMED))
    assert [decision.failure for decision in decisions] == failures
    assert [decision.best.kind if decision.best else None for decision in decisions] == [
        "patch-pyproject",
        "install-and-build-without-isolation",
    ]


def test_the_key_names_the_fix() -> None:
    [decision] = decide([_flit()], _facts(packages=NAMED))
    assert decision.remedies[0].key == f"patch-pyproject:{PYPROJECT}:add|flit_core>=3.2::"


def test_offline_summaries_name_no_interpreter() -> None:
    [decision] = decide([_missing("oldpkg", "numpy", "numpy")], Facts())
    assert decision.remedies[0].summary == (
        'install "numpy" into the target environment and run the command again with '
        "--no-build-isolation"
    )


@pytest.mark.parametrize(
    ("failure", "providers", "want_kind", "want_distribution"),
    [
        pytest.param(
            BuildFailure(kind="unidentified-import", package="oldpkg", module="yaml"),
            ["PyYAML"],
            "unidentified-import",
            "PyYAML",
            id="one-provider-is-named-never-proposed",
        ),
        pytest.param(
            BuildFailure(kind="unidentified-import", package="oldpkg", module="yaml"),
            ["PyYAML", "ruamel.yaml"],
            "unidentified-import",
            None,
            id="several-providers-name-nothing",
        ),
        pytest.param(
            BuildFailure(kind="unidentified-import", package="oldpkg==1.0", module="oldpkg"),
            ["oldpkg"],
            "unidentified-import",
            None,
            id="the-packages-own-module",
        ),
        pytest.param(
            BuildFailure(kind="unidentified-import", package="oldpkg", module="urllib2"),
            ["something"],
            "unidentified-import",
            None,
            id="a-python-2-module",
        ),
    ],
)
def test_attribute(
    failure: BuildFailure, providers: list[str], want_kind: str, want_distribution: str | None
) -> None:
    """An installed distribution (in no curated table) is named as a hint, never proposed:
    no requirement, no fix, whatever the build (issue 18, item 11)."""
    attributed = attribute(failure, providers, TARGET)
    assert (attributed.kind, attributed.distribution) == (want_kind, want_distribution)
    assert attributed.requirement is None
    assert failure.kind == "unidentified-import"  # the input is left as it was
    for no_isolation in (False, True):
        [decision] = decide([attributed], _facts(no_build_isolation=no_isolation))
        assert not decision.remedies
    if want_distribution:
        assert TARGET in attributed.explanation
        assert f'yaml = "{want_distribution}" to [mapping]' in attributed.explanation


@pytest.mark.parametrize(
    ("failure", "want"),
    [
        pytest.param(_flit(), f'add "flit_core>=3.2" to [build-system] requires in {PYPROJECT}.',
                     id="requirement"),
        pytest.param(_missing("oldpkg", "numpy", "numpy"),
                     "install numpy and rerun with --no-build-isolation, or ask the package's "
                     "maintainers to declare it in [build-system] requires.",
                     id="requirement-of-a-package-not-the-users"),
        pytest.param(_flit(requirement=None, suggestion="x.build"),
                     f'set build-backend = "x.build" in [build-system] of {PYPROJECT}.',
                     id="typo"),
        pytest.param(_missing("p", "setuptools", None, module="pkg_resources.extern"),
                     "pin a version of setuptools that still has 'pkg_resources.extern' in "
                     "[build-system] requires in the project's pyproject.toml.",
                     id="dropped-submodule"),
        pytest.param(BuildFailure(kind="build-requirement-unavailable", requirement="nope>=2"),
                     "check the spelling and version bounds of nope>=2 in [build-system] "
                     "requires in the project's pyproject.toml, and that the index pip uses "
                     "carries it.", id="build-requirement-unavailable"),
        pytest.param(BuildFailure(kind="build-requirement-unavailable", requirement="x",
                                  evidence="Downloading x-1.tar.gz"), None,
                     id="build-requirement-built-from-sdist"),
        pytest.param(_cython_too_new("./proj", source="local"),
                     'cap it: "Cython<3.0" in [build-system] requires in the project\'s '
                     "pyproject.toml.", id="too-new-in-the-users-project"),
        pytest.param(_cython_too_new(),
                     'run pip with the build constraint "Cython<3.0" (--build-constraint FILE '
                     "from pip 25.3, PIP_CONSTRAINT=FILE before), or ask the package's "
                     "maintainers to cap it in [build-system] requires.", id="too-new"),
        pytest.param(BuildFailure(kind="unidentified-import", module="distutils"), None,
                     id="unidentified-import"),
    ],
)  # fmt: skip
def test_advice(failure: BuildFailure, want: str | None) -> None:
    assert advice(failure) == want


def test_changes_are_values() -> None:
    assert CapRequirement("setuptools", "<82").requirement == "setuptools<82"
    assert SetBackend("a.b").words() == ("backend", "a.b")
