"""safepip: runs pip unchanged; explains, and with consent fixes, the build failures pip reports."""

__version__ = "0.1.0"
