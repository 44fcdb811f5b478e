"""safepip test fixture "setup-requires-cython": the old idiom that asks setuptools to fetch a build
requirement while setup.py runs; setuptools runs `python -m pip wheel ... Cython` inside pip's
isolated build environment, which has no pip."""

from setuptools import dist, setup

dist.Distribution().fetch_build_eggs(["Cython"])

setup(name="setup-requires-cython", version="1.0", packages=["setup_requires_cython"])
