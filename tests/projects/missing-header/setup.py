"""A C extension that includes a header nobody has."""

from setuptools import Extension, setup

setup(ext_modules=[Extension("missing_header._ext", ["missing_header/_ext.c"])])
