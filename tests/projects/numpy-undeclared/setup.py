"""Build a C extension against numpy's headers; numpy is not declared."""

import numpy
from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "numpy_undeclared._core",
            ["numpy_undeclared/_core.c"],
            include_dirs=[numpy.get_include()],
        )
    ]
)
