"""A C extension that does not compile."""

from setuptools import Extension, setup

setup(ext_modules=[Extension("compile_error._broken", ["compile_error/_broken.c"])])
