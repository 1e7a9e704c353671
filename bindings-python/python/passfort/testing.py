"""Test aid: ``Emulator``, a stateful PassFort emulator running inside this process.

It ships apart from ``passfort`` so that production installs carry no emulator:
``pip install 'passfort[testing]'`` (or ``passfort-emulator``) brings it in.

    from passfort.testing import Emulator

    with Emulator() as emulator:
        client = emulator.client()
"""

from __future__ import annotations

try:
    from passfort_emulator import Emulator
except ModuleNotFoundError as missing:
    if missing.name is None or not missing.name.startswith("passfort_emulator"):
        raise
    raise ModuleNotFoundError(
        "passfort.testing needs the PassFort emulator, which is a separate package: "
        "pip install 'passfort[testing]' (or pip install passfort-emulator, the same version as passfort)",
        name=missing.name,
    ) from missing

__all__ = ["Emulator"]
