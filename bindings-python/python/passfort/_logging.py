"""The ``passfort`` logger's defaults, set once at import.

The core's logs reach ``logging.getLogger("passfort")``. A ``NullHandler``
keeps them off stderr for a program that configured no logging (Python's
"last resort" handler would otherwise print warnings). ``PASSFORT_LOG=debug``
(or ``info``, ``warning``, ``error``) in the environment turns them on with no
code: a stderr handler at that level. They never hold an API key or secret.
"""

from __future__ import annotations

import logging
import os
import sys
from typing import Callable, Optional

from . import _native

ENV_VAR = "PASSFORT_LOG"
LOGGER_NAME = "passfort"

# Helpers the native module adds next to its logging bridge (not in _native.pyi).
_parse_log_level: Callable[[str], Optional[int]] = getattr(_native, "_parse_log_level")
_sync_log_level: Callable[[], None] = getattr(_native, "_sync_log_level")


def configure() -> None:
    logger = logging.getLogger(LOGGER_NAME)
    if not any(isinstance(handler, logging.NullHandler) for handler in logger.handlers):
        logger.addHandler(logging.NullHandler())
    wanted = os.environ.get(ENV_VAR)
    if wanted:
        level = _parse_log_level(wanted)
        if level is None:
            print(
                f"passfort: {ENV_VAR}={wanted!r} is not one of debug, info, warning, error; ignored",
                file=sys.stderr,
            )
        else:
            handler = logging.StreamHandler(sys.stderr)
            handler.setLevel(level)
            handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
            logger.addHandler(handler)
            logger.setLevel(level)
    # The native side re-reads the level once a second; this makes it current now.
    _sync_log_level()
