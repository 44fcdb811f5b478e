"""Imports Cython (undeclared), then pkg_resources (gone from setuptools 82)."""

import Cython  # noqa: F401 - the first missing piece
import pkg_resources  # noqa: F401 - the second
from setuptools import setup

setup(name="no-build-system", version="1.0", packages=["no_build_system"])
