"""Worker processes that die with their driver, and the choice of start method.

A worker pool's processes must not outlive the process that drives them, even when the driver is
killed with SIGKILL (no ``finally``, no atexit). Two guards are installed in every worker by
:func:`guard_parent`:

- on Linux, ``prctl(PR_SET_PDEATHSIG, SIGKILL)`` (through ctypes): the kernel kills the worker
  the moment its parent dies;
- everywhere (macOS has no prctl), a daemon watchdog thread polls ``os.getppid()`` and exits the
  worker as soon as its parent is gone (re-parented to init or a subreaper).

The start method is ``fork`` where available (state prepared by the driver is inherited), else
``spawn``; ``DISCOVER_START_METHOD=spawn|fork|forkserver`` forces one.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import signal
import sys
import threading

from .errors import DiscoverError

__all__ = ["guard_parent", "start_method", "WATCHDOG_INTERVAL"]

WATCHDOG_INTERVAL = 0.5   # seconds between two checks of the parent
PR_SET_PDEATHSIG = 1


def _prctl_pdeathsig() -> bool:
    if not sys.platform.startswith("linux"):
        return False
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) == 0
    except Exception:       # no libc symbol, seccomp, ...: the watchdog still works
        return False


def _watchdog(parent_pid: int, interval: float) -> None:
    import time

    while True:
        if os.getppid() != parent_pid:
            os._exit(1)       # no cleanup: the driver is gone and records nothing more
        time.sleep(interval)


def guard_parent(parent_pid: int | None = None, interval: float = WATCHDOG_INTERVAL) -> None:
    """Make the calling (worker) process exit when ``parent_pid`` (default: its parent) dies."""
    parent_pid = os.getppid() if parent_pid is None else parent_pid
    _prctl_pdeathsig()
    if os.getppid() != parent_pid:      # the parent died before the guard was in place
        os._exit(1)
    t = threading.Thread(target=_watchdog, args=(parent_pid, interval),
                         name="discover-parent-watchdog", daemon=True)
    t.start()


def start_method() -> str:
    """``DISCOVER_START_METHOD`` if set (checked), else ``fork`` where available, else ``spawn``."""
    available = mp.get_all_start_methods()
    forced = os.environ.get("DISCOVER_START_METHOD", "").strip()
    if forced:
        if forced not in available:
            raise DiscoverError(f"DISCOVER_START_METHOD={forced!r} is not available here; use one "
                                f"of: {', '.join(available)} (or unset it)")
        return forced
    return "fork" if "fork" in available else "spawn"
