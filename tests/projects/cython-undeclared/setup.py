"""Build a Cython extension; Cython is needed at build time but not declared."""

from Cython.Build import cythonize
from setuptools import setup

setup(ext_modules=cythonize(["cython_undeclared/_speedups.pyx"]))
