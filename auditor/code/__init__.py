"""Application source code → Facts (the fifth input kind; see ARCHITECTURE.md, "Layout").

`parse.py` is the parser entry point (a pure function of path and text, like every parser): it picks the
language (`languages.py`), parses with tree-sitter under a time and memory bound, hands the tree to that
language's extractor (`python.py`, `javascript.py`, …), and turns what the extractor found (`facts.py`: calls,
database connections, request handlers, session stores, tracing set-up) into one `config` node of source
`code` with settings and `calls` edges. Which service a file belongs to is decided in the graph stage
(graph/code.py), as for build files. Each extractor's patterns live in `queries/<language>/<fact>.scm`.
"""
