"""What `import notary` offers integrators: each name resolves, and importing the package
loads none of the libraries behind them until a name is used."""

from __future__ import annotations

import subprocess
import sys

import pytest

import notary


@pytest.mark.parametrize("name", notary.__all__)
def test_every_public_name_resolves_to_something_documented(name: str) -> None:
    value = getattr(notary, name)
    assert value.__doc__, name
    assert name in dir(notary)  # what tab completion and help() show


def test_a_name_that_is_not_offered_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'Store'"):
        notary.Store  # noqa: B018


def test_importing_the_package_loads_nothing_heavy() -> None:
    probe = (
        "import sys, notary\n"
        "heavy = {'web3', 'sqlalchemy', 'httpx2', 'fastapi', 'coincurve'} & set(sys.modules)\n"
        "print(sorted(heavy))\n"
        "notary.Receipt\n"
        "print('sqlalchemy' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout.split("\n")
    assert out[0] == "[]"
    assert out[1] == "False"  # a receipt needs no database
