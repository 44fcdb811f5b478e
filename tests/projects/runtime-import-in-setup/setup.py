"""An anti-pattern: setup.py imports a runtime dependency at build time."""

import requests  # used only to show the anti-pattern
from setuptools import setup

setup(install_requires=["requests"], description=requests.__name__)
