"""Parsers: one module per input kind, each a pure function of (path, text) → Facts."""
