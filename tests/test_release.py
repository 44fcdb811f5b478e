"""The release a new user installs: the changelog has a section for the package's version, and
every pin in the README and docs names that version's tag (the lead tags ``v<version>``)."""

from __future__ import annotations

import re

from safepip import __version__
from testing.paths import ROOT

TAG = f"v{__version__}"
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def test_changelog_has_this_version_and_unreleased() -> None:
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    headings = re.findall(r"^## \[([^\]]+)\]( - \d{4}-\d{2}-\d{2})?$", changelog, re.MULTILINE)
    assert headings[:2] == [("Unreleased", ""), (__version__, headings[1][1])], headings
    assert headings[1][1], "the release's section has its date"


def test_docs_pin_to_this_versions_tag() -> None:
    pins = []
    for document in DOCUMENTS:
        text = document.read_text(encoding="utf-8")
        assert "<tag>" not in text, f"{document.name} still pins to <tag>"
        # A pin as written: after the @ of a git URL or the action, after rev:, or a tag in prose.
        found = re.findall(r"(?:@|rev: |tag `)(v\d+\.\d+\.\d+\S*?)[\"`\s]", text)
        pins += [(document.name, pin) for pin in found]
    assert {"README.md", "ci.md"} <= {name for name, _ in pins}
    assert [pin for pin in pins if pin[1] != TAG] == []
