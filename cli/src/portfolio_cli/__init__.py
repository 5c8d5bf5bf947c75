"""The ``portfolio`` command line: imports, reports, status and the local stack supervisor."""
