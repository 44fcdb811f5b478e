"""A legacy project without pyproject.toml: setup.py imports Cython."""

from Cython.Build import cythonize
from setuptools import setup

setup(
    name="legacy-setup-py-cython",
    version="1.0",
    packages=["legacy_setup_py_cython"],
    ext_modules=cythonize(["legacy_setup_py_cython/_speedups.pyx"]),
)
