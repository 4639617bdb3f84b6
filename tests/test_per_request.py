"""graph/per_request.py on its own: how a call as a file names it is resolved to a file of the repository, and
that links data of the wrong shape (a planted cache entry) is refused, not trusted."""

from __future__ import annotations

import pytest

from auditor.graph.per_request import Links, _Resolver, read_links

EMPTY = {"language": "python", "per_request": [], "once": [], "callees": {}, "calls": [], "connects": [],
         "instances": {"database": "Database"}}
PATHS = ["api/app/views.py", "api/app/db.py", "api/db.py", "db.py", "api/app/pkg/__init__.py", "api/app/pkg/io.py",
         "api/models.py"]


def _resolver() -> _Resolver:
    links: dict[str, Links] = {}
    for path in PATHS:
        link = read_links(path, EMPTY)
        assert link is not None
        links[path] = link
    return _Resolver(links, set(PATHS), {})


@pytest.mark.parametrize(("target", "level", "expected"), [
    ("db.get_db", 1, ("api/app/db.py", "get_db")),        # from .db import get_db
    ("db.get_db", 2, ("api/db.py", "get_db")),            # from ..db import get_db
    ("db.get_db", 3, ("db.py", "get_db")),                # from ...db import get_db: the repository's top
    ("db.get_db", 4, None),                               # above the top: not this project's
    ("get_db", 1, None),                                  # from . import get_db: api/app has no __init__.py
    ("pkg.io.read", 1, ("api/app/pkg/io.py", "read")),    # the longest module path that is a file
    ("pkg.read", 1, ("api/app/pkg/__init__.py", "read")),
    ("db.get_db", 0, ("api/app/db.py", "get_db")),        # import db: the nearest folder that holds db.py
    ("app.db.get_db", 0, ("api/app/db.py", "get_db")),    # from app.db import get_db, run from api/
    ("models.Order.save", 0, ("api/models.py", "Order.save")),
    ("db.database.cursor", 1, ("api/app/db.py", "Database.cursor")),  # a module-level instance's method
    ("requests.get", 0, None),                            # not a file of the repository
])
def test_a_python_call_is_resolved_as_the_interpreter_would_import_it(
        target: str, level: int, expected: tuple[str, str] | None) -> None:
    found = _resolver().resolve("api/app/views.py", target, level, "python")
    assert (found[0] if found else None) == expected


@pytest.mark.parametrize("data", [5, "links", {"calls": "abc"}, {"callees": [1, 2]}, {"connects": [[1]]},
                                  {"instances": [["a"]]}, {"per_request": 3}])
def test_links_of_another_shape_are_refused(data: object) -> None:
    assert read_links("x.py", data) is None
