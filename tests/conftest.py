"""Shared fixtures: a fresh plugin manager and a temporary store for every test that needs one."""

from __future__ import annotations

import pytest


@pytest.fixture
def plugins():
    from discover.pluginmanager import get_plugin_manager

    return get_plugin_manager(autoload=False)


@pytest.fixture
def store_path(tmp_path):
    return tmp_path / "store.sqlite"


def install_into_target(target, *sources):
    """pip-install distributions (their own pyproject and entry points) into ``target``, a folder
    later put on PYTHONPATH; returns the environment for subprocesses that should see them.

    Builds without isolation when setuptools is present (no network needed), and copies nothing:
    callers pass copies when pip must not write into the source folder.
    """
    import os
    import subprocess
    import sys

    cmd = [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target",
           str(target), *map(str, sources)]
    try:
        import setuptools  # noqa: F401

        cmd.insert(4, "--no-build-isolation")
    except ImportError:
        pass
    subprocess.run(cmd, check=True, capture_output=True, text=True)
    env = dict(os.environ, PYTHONPATH=str(target))
    env.pop("DISCOVER_DISABLE_PLUGIN_AUTOLOAD", None)
    return env
