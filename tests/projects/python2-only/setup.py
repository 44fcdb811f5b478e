"""safepip test fixture "python2-only": Python 2 code; no build requirement can fix it."""

from ConfigParser import SafeConfigParser  # noqa: F401 - Python 2's name for configparser
from setuptools import setup

setup(name="python2-only", version="1.0", packages=["python2_only"])
