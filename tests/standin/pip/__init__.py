"""A stand-in for pip, put first on PYTHONPATH by tests so that ``python -m pip`` runs it.

It lets runner tests check what the child sees (a terminal? which size?) and how its exit status,
signals and odd bytes come back through safepip, with real processes and real ptys.
"""
