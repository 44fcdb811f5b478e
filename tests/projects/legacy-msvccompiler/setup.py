"""safepip test fixture "legacy-msvccompiler": a setup.py-only project (no pyproject.toml) that
imports distutils.msvccompiler, which setuptools 74.0.0 removed (as preshed 3.0.6's setup.py
does). The fix: the build constraint setuptools<74."""

from distutils import msvccompiler  # noqa: F401 - the import is the defect

from setuptools import setup

setup(name="legacy-msvccompiler", version="1.0", packages=["legacy_msvccompiler"])
