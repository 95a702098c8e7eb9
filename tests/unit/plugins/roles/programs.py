"""The roles' programs (roles/*/files/*.py), imported by path for their tests."""

from __future__ import annotations

import importlib.machinery
import importlib.util
import pathlib

ROOT = pathlib.Path(__file__).resolve().parents[4]


def load(role, filename, name):
    """The program roles/<role>/files/<filename> as a module called ``name``."""
    loader = importlib.machinery.SourceFileLoader(
        name, str(ROOT / "roles" / role / "files" / filename)
    )
    spec = importlib.util.spec_from_loader(name, loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module
