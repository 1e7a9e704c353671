"""Test aid: ``Emulator``, a stateful PassFort emulator running inside this process.

It ships apart from ``passfort`` so that production installs carry no emulator:
``pip install 'passfort[testing]'`` (or ``passfort-emulator``) brings it in.

    from passfort.testing import Emulator

    with Emulator() as emulator:
        client = emulator.client()
"""

from __future__ import annotations

import importlib.util

if importlib.util.find_spec("passfort_emulator") is None:
    raise ModuleNotFoundError(
        "passfort.testing needs the PassFort emulator, which is a separate package: "
        "pip install 'passfort[testing]' (or pip install passfort-emulator, the same version as passfort)",
        name="passfort_emulator",
    )

from passfort_emulator import Emulator  # noqa: E402 (after the check that explains its absence)

__all__ = ["Emulator"]
