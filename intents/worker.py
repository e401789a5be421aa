"""Parsing in a process of its own, so that the server's event loop keeps a core to itself.

A server's Python runs one thread at a time (the GIL): parsing on a thread of the server's
process takes turns with the event loop, which stores, answers and sends every message.
`ParseWorker` runs the parse — encoder, classifier, FAQ, entities — in a child process
(`main(FD)` in a new interpreter) that talks over a socket pair: the parent sends a batch of
(text, language) pairs and gets the parses back; after every retrain it sends the new model
(pickled without its training rows), and parses sent after that are read with it.

The parent never depends on the child: a child that dies, stalls or answers with an error
raises `WorkerGone`, and `NluEngine` parses in its own process until a new child is ready.
"""

from __future__ import annotations

import logging
import os
import pickle
import socket
import subprocess
import sys
import threading
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

# How long a batch may take in the child before it counts as stalled (a batch of 32 takes
# tens of milliseconds; the first one after a model swap a little more).
PARSE_TIMEOUT = 30.0
# How long the child may take to load the encoder (imports and the ONNX session).
START_TIMEOUT = 180.0
# How long a new model may take to arrive and unpickle (a 150-intent model: ~50 MB).
UPDATE_TIMEOUT = 60.0


# Parsed once by a new worker, before it takes over: Polish with and without its letters, and
# English.
WARM_UP: list[tuple[str, str | None]] = [
    ("poproszę dużą pizzę z dostawą", None), ("prosze duza pizze", None),
    ("a large pizza please", None),
]  # fmt: skip
# The child's program (not `-m intents.worker`: the package imports this module first).
_CHILD = "import sys; from intents.worker import main; main(int(sys.argv[1]))"


class WorkerGone(RuntimeError):
    """The child process died, stalled or failed: parse in the server's own process."""


class ParseWorker:
    """One child process parsing for an `NluEngine`; thread-safe, one request at a time."""

    def __init__(self, encoder_args: dict[str, Any]) -> None:
        ours, theirs = socket.socketpair()
        root = str(Path(__file__).resolve().parents[1])
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(
            p for p in (root, os.environ.get("PYTHONPATH", "")) if p
        )}  # fmt: skip
        try:
            self._proc = subprocess.Popen(
                [sys.executable, "-c", _CHILD, str(theirs.fileno())],
                pass_fds=[theirs.fileno()],
                stdin=subprocess.DEVNULL,
                env=env,
            )
        finally:
            theirs.close()
        self._conn = Connection(ours.detach())
        self._lock = threading.Lock()
        self._alive = True
        self.ready = False
        self.pid = self._proc.pid
        self.parsed = 0  # messages parsed by the child
        self._call(("init", encoder_args), timeout=None, wait=False)

    @property
    def alive(self) -> bool:
        return self._alive and self._proc.poll() is None

    def wait_ready(self, timeout: float = START_TIMEOUT) -> None:
        """Block until the child has loaded its encoder."""
        with self._lock:
            if not self.ready:
                self._answer(timeout)
                self.ready = True

    def update(self, snapshot: bytes) -> None:
        """Send a new model; parses sent after this returns are read with it."""
        self.wait_ready()
        self._call(("model", snapshot), timeout=UPDATE_TIMEOUT)

    def parse(self, items: list[tuple[str, str | None]]) -> list[dict[str, Any]]:
        results = self._call(("parse", items), timeout=PARSE_TIMEOUT)
        if not isinstance(results, list) or len(results) != len(items):
            self._fail("parse worker: wrong number of results")
        self.parsed += len(results)
        return results

    def close(self) -> None:
        """Stop the child (it also stops by itself when this process's end of the pair goes)."""
        with self._lock:
            if self._alive:
                self._alive = False
                try:
                    self._conn.send(("stop", None))
                except OSError:
                    pass
            self._conn.close()
        try:
            self._proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()

    # -- the wire ---------------------------------------------------------------------------

    def _call(self, request: tuple[str, Any], *, timeout: float | None, wait: bool = True) -> Any:
        with self._lock:
            if not self._alive:
                raise WorkerGone("parse worker stopped")
            try:
                self._conn.send(request)
            except (OSError, ValueError) as exc:
                self._fail(f"parse worker unreachable: {exc}")
            return self._answer(timeout) if wait else None

    def _answer(self, timeout: float | None) -> Any:
        try:
            if timeout is not None and not self._conn.poll(timeout):
                self._fail(f"parse worker gave no answer in {timeout:.0f} s")
            kind, payload = self._conn.recv()
        except (EOFError, OSError, pickle.UnpicklingError) as exc:
            self._fail(f"parse worker gone: {exc!r}")
        if kind == "error":
            # The request failed in the child (the child lives on): said, not hidden.
            raise WorkerGone(f"parse worker: {payload}")
        return payload

    def _fail(self, why: str) -> Any:
        """Mark the child dead (killed if it still runs) and raise."""
        self._alive = False
        if self._proc.poll() is None:
            self._proc.kill()
        raise WorkerGone(why)


def _serve(conn: Connection) -> None:
    """The child's loop: build the encoder, then answer requests until told to stop."""
    from threadpoolctl import threadpool_limits

    from intents.encoder import Encoder
    from intents.engine import NluEngine

    # OpenBLAS's idle threads busy-wait between its calls, and this process makes one small
    # product after another (the FAQ's, the classifier's): its second thread took ~0.9 ms of
    # CPU per message under load, a core the server's event loop needs on two cores.
    threadpool_limits(1, user_api="blas")
    kind, encoder_args = conn.recv()
    assert kind == "init"
    parser = NluEngine.parser_only(Encoder(**encoder_args))
    warm = False
    conn.send(("ready", None))
    while True:
        try:
            kind, payload = conn.recv()
        except EOFError:  # the server has gone
            return
        if kind == "stop":
            return
        try:
            if kind == "parse":
                answer: Any = parser.parse_batch(payload)
            elif kind == "model":
                parser.load_snapshot(payload)
                if not warm:
                    # What loads on first use (the Polish lemma dictionary: seconds) loads
                    # now, before the server hands this process its first customers.
                    parser.parse_batch(WARM_UP)
                    warm = True
                answer = None
            else:
                raise ValueError(f"unknown request {kind!r}")
        except Exception as exc:  # told to the server, which parses itself then
            log.exception("parse worker: %s failed", kind)
            conn.send(("error", f"{type(exc).__name__}: {exc}"))
            continue
        conn.send(("ok", answer))


def main(fd: int) -> None:
    """The child process: serve the parent on the socket `fd`."""
    logging.basicConfig(
        level=os.environ.get("LOG_LEVEL", "WARNING").upper(),
        format="%(asctime)s %(levelname)s %(name)s (parse worker): %(message)s",
    )
    _serve(Connection(fd))
