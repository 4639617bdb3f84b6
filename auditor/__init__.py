"""scale-auditor: find where an architecture will not scale, with file and line."""

__version__ = "0.1.0"
