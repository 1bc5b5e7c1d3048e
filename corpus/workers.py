"""Where a run's parallel work goes: a local pool of processes, or tasks on Ray.

with ray_session(address, workers), Tasks(workers, "ray") as tasks:   # or "local"
    results = tasks.each(fn, [(a, b), ...])   # fn(a, b), ... in order
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from termnorm_utils.errors import InputError


def available_cpus() -> int:
    """The CPUs this process may use: its affinity mask, capped by a cgroup v2 CPU quota (a
    container's `--cpus`)."""
    n = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    try:
        quota, period = Path("/sys/fs/cgroup/cpu.max").read_text().split()
        if quota != "max":
            n = min(n, max(1, math.ceil(int(quota) / int(period))))
    except (OSError, ValueError):
        pass
    return n


def die_with_parent() -> None:
    """A worker's first act: ask the kernel to kill it when the run's process dies (kill -9
    included), so no worker outlives a killed run (Linux; elsewhere a no-op)."""
    try:
        import ctypes
        import signal

        libc = ctypes.CDLL(None, use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, signal.SIGKILL)
    except (OSError, AttributeError):
        return
    if os.getppid() == 1:  # the parent died before the call
        os._exit(1)


def local_pool(workers: int) -> ProcessPoolExecutor:
    """Fresh processes (spawned: no forked locks or threads), each dying with the run."""
    return ProcessPoolExecutor(
        workers, mp_context=get_context("spawn"), initializer=die_with_parent
    )


def ray() -> Any:
    try:
        import ray
    except ImportError:
        raise InputError("--engine ray needs Ray: pip install 'termnorm[ray]'") from None
    return ray


@contextmanager
def ray_session(address: str | None, workers: int) -> Iterator[None]:
    """Ray for the work inside: the cluster at `address`, or a local Ray with `workers` CPUs
    (one already started by the caller is used as it is)."""
    r = ray()
    started = not r.is_initialized()
    if started:
        r.init(
            address=address,
            num_cpus=None if address else workers,
            include_dashboard=False,
            log_to_driver=False,
            configure_logging=False,
        )
    try:
        yield
    finally:
        if started:
            r.shutdown()


class Tasks:
    """`fn(*a)` for each of many `a`, results in order: as Ray tasks (inside a `ray_session`),
    on one pool of `workers` local processes kept for every call, or in this process for one
    worker.

        with Tasks(workers, engine) as tasks:
            results = tasks.each(fn, [(a, b), ...])
    """

    def __init__(self, workers: int, engine: str = "local") -> None:
        self.workers, self.engine = workers, engine
        self._pool: ProcessPoolExecutor | None = None

    def __enter__(self) -> Tasks:
        if self.engine == "local" and self.workers > 1:
            self._pool = local_pool(self.workers)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)

    def each(self, fn: Callable, args: Iterable[tuple]) -> list:
        args = list(args)
        if self.engine == "ray":
            r = ray()
            refs = [r.remote(fn).remote(*a) for a in args]
            try:
                return r.get(refs)
            except BaseException:
                for ref in refs:  # none of them goes on writing after a failure
                    r.cancel(ref, force=True)
                raise
        if self._pool is None or len(args) <= 1:
            return [fn(*a) for a in args]
        return list(self._pool.map(fn, *zip(*args, strict=True)))
