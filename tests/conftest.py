"""Shared fixtures: a fresh plugin manager and a temporary store for every test that needs one."""

from __future__ import annotations

import pytest


@pytest.fixture
def plugins():
    from discover.plugins import get_plugin_manager

    return get_plugin_manager(autoload=False)


@pytest.fixture
def store_path(tmp_path):
    return tmp_path / "store.sqlite"
