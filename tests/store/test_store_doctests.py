"""The examples in the store's docstrings run."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import helicone_lite.store

MODULES = [
    f"helicone_lite.store.{info.name}"
    for info in pkgutil.iter_modules(helicone_lite.store.__path__)
]


@pytest.mark.parametrize("name", ["helicone_lite.store", *MODULES])
def test_docstring_examples(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
