"""safepip test fixture "legacy-pkg-resources": a setup.py-only project (no pyproject.toml) that
imports pkg_resources, which setuptools 82 removed. The fix: the build constraint setuptools<82."""

import pkg_resources
from setuptools import setup

pkg_resources.parse_version("1.0")

setup(name="legacy-pkg-resources", version="1.0", packages=["legacy_pkg_resources"])
