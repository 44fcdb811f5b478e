"""An old-style setup.py: pkg_resources is gone from setuptools 82 on."""

import pkg_resources
from setuptools import setup

# The old idiom this fixture imitates: check a version with pkg_resources.
pkg_resources.parse_version("1.0")

setup()
