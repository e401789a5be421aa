"""Micro-batching: messages parsed within a few milliseconds of each other share one batch.

One worker thread takes the first waiting item, collects whatever else arrives within
`window` seconds of it (and everything that queued while the previous batch ran, which is
where batches come from under load), and hands the lot to `run` at once: one encoder call,
one sparse transform, one matrix product. A lone message waits at most `window`.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")

_STOP = object()


class MicroBatcher(Generic[T, R]):
    """Run `run(items) -> results` (same order) over items submitted from any thread."""

    def __init__(
        self,
        run: Callable[[list[T]], list[R]],
        *,
        window: float,
        max_batch: int = 64,
        name: str = "micro-batcher",
    ) -> None:
        if window < 0 or max_batch < 1:
            raise ValueError("window must be >= 0 and max_batch >= 1")
        self.run = run
        self.window = window
        self.max_batch = max_batch
        self.name = name
        self.batches = 0  # how many times `run` was called (for benchmarks and tests)
        self.items = 0
        self._queue: queue.SimpleQueue[object] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()

    def submit(self, item: T) -> Future[R]:
        """Queue one item; the future gets its result (or the batch's exception)."""
        future: Future[R] = Future()
        self._ensure_worker()
        self._queue.put((item, future))
        return future

    def close(self) -> None:
        """Let the worker finish what is queued, then stop it."""
        with self._start_lock:
            thread, self._thread = self._thread, None
        if thread is not None:
            self._queue.put(_STOP)
            thread.join(timeout=10)

    def _ensure_worker(self) -> None:
        if self._thread is not None:
            return
        with self._start_lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._work, name=self.name, daemon=True)
                self._thread.start()

    def _work(self) -> None:
        while True:
            first = self._queue.get()
            if first is _STOP:
                return
            batch = [first]
            stop = False
            deadline = time.monotonic() + self.window
            while len(batch) < self.max_batch:
                left = deadline - time.monotonic()
                try:
                    nxt = self._queue.get(timeout=left) if left > 0 else self._queue.get_nowait()
                except queue.Empty:
                    break
                if nxt is _STOP:
                    stop = True
                    break
                batch.append(nxt)
            self._run(batch)  # type: ignore[arg-type]
            if stop:
                return

    def _run(self, batch: list[tuple[T, Future[R]]]) -> None:
        live = [(item, f) for item, f in batch if f.set_running_or_notify_cancel()]
        if not live:
            return
        self.batches += 1
        self.items += len(live)
        try:
            results = self.run([item for item, _ in live])
            if len(results) != len(live):
                raise RuntimeError(f"{self.name}: {len(results)} results for {len(live)} items")
        except BaseException as exc:  # every waiting caller hears about it
            for _, f in live:
                f.set_exception(exc)
            return
        for (_, f), result in zip(live, results, strict=True):
            f.set_result(result)
