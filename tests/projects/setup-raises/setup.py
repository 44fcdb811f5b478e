"""setup.py fails by itself: nothing is missing."""

raise RuntimeError("safepip fixture: this setup.py refuses to run")
