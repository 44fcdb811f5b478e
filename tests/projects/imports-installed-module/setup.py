"""safepip test fixture "imports-installed-module": setup.py imports `frobmod`, a module no curated
table lists; in the tests, the target environment has it from the distribution safepip-frob-dist."""

import frobmod  # noqa: F401
from setuptools import setup

setup(name="imports-installed-module", version="1.0", packages=["imports_installed_module"])
