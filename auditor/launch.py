"""The `audit` console script: the command runs in this install's resident process when the user asked for one
(SCALE_AUDITOR_RESIDENT=1, auditor/resident.py) and it is up, else here. Imports nothing heavy before it knows."""

from __future__ import annotations

import os
import sys
from typing import NoReturn


def entry() -> NoReturn:
    from auditor import resident

    arguments = sys.argv[1:]
    if resident.enabled() and resident.supported() and arguments[:1] != ["resident"]:
        path = resident.socket_path()
        status = resident.call(arguments, path) if path is not None else None
        if status is not None:
            os._exit(status)
        if path is not None:
            resident.start(path)  # for the next command; this one runs here
    from auditor.cli import entry as here

    here()


if __name__ == "__main__":  # pragma: no cover
    entry()
