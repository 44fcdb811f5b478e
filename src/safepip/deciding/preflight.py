"""Before pip runs: the fixes for what a named local project's ``[build-system]`` plainly gets
wrong (the static check of ``safepip doctor``), as ``patch-pyproject`` proposals."""

from __future__ import annotations

from safepip.changes import AddRequirement
from safepip.deciding.actions import PatchPyproject
from safepip.deciding.remedies import Remedy
from safepip.deciding.static import check_pyproject
from safepip.deciding.static_findings import StaticCheckError
from safepip.reading.command import PipCommand
from safepip.reading.findings import BACKEND_UNAVAILABLE, BuildFailure
from safepip.tomlfile import file_to_name


def preflight_remedies(command: PipCommand) -> list[Remedy]:
    """One proposal per static finding that has a safe fix, in the command's projects' order."""
    remedies: list[Remedy] = []
    for project in command.local_projects:
        try:
            findings = check_pyproject(project.path)
        except StaticCheckError:
            continue  # pip will say what is wrong with it, in its own words
        for finding in findings:
            if finding.change is None:
                continue
            failure = BuildFailure(
                kind=BACKEND_UNAVAILABLE,
                package=project.path,
                source="editable" if project.editable else "local",
                distribution=finding.distribution,
                requirement=finding.change.requirement
                if isinstance(finding.change, AddRequirement)
                else None,
                pyproject=project.pyproject,
                explanation=finding.message,
                evidence=f"{finding.path}:{finding.line}",
            )
            pyproject = file_to_name(project.pyproject)  # the file that changes, not a link
            remedies.append(Remedy(failure, PatchPyproject(pyproject, finding.change)))
    return remedies
