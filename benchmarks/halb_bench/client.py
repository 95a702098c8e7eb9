"""An open-loop HTTP client: a NEW connection every ``interval`` seconds,
whether or not the earlier requests have finished, so a request hanging on a
dead node does not hide the next ones (the figures keep their 10 ms
resolution through an outage).

    with OpenLoopClient("172.30.70.100", 80) as client:
        ...                               # the fault
    client.records  # [(sent, ok, took, reason)], sent on the wall clock
"""

from __future__ import annotations

import asyncio
import threading
import time
import urllib.request


class OpenLoopClient:
    def __init__(self, host, port=80, path="/", interval=0.01, timeout=0.5, limit=900.0):
        self.host, self.port, self.path = host, port, path
        self.interval, self.timeout, self.limit = interval, timeout, limit
        self.records = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._main, daemon=True)
        self._request = (
            f"GET {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: halb-bench\r\n"
            "Connection: close\r\n\r\n"
        ).encode()

    async def _one(self, sent):
        writer = None
        try:
            async with asyncio.timeout(self.timeout):
                reader, writer = await asyncio.open_connection(self.host, self.port)
                writer.write(self._request)
                await writer.drain()
                status = await reader.readline()
                while await reader.read(65536):  # the whole answer, as a client would
                    pass
            ok = status.split(b" ", 2)[1:2] == [b"200"]
            reason = None if ok else status.decode(errors="replace").strip()[:40] or "empty answer"
        except TimeoutError:
            ok, reason = False, "timeout"
        except OSError as exc:
            ok, reason = False, type(exc).__name__
        finally:
            if writer is not None:
                writer.close()
        self.records.append((sent, ok, round(time.time() - sent, 4), reason))

    async def _run(self):
        tasks = set()
        start = time.monotonic()
        ticks = 0
        while not self._stop.is_set() and time.monotonic() - start < self.limit:
            task = asyncio.create_task(self._one(time.time()))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
            ticks += 1
            # Fixed ticks from the start: no drift from the time a request took.
            await asyncio.sleep(max(0.0, start + ticks * self.interval - time.monotonic()))
        if tasks:
            await asyncio.wait(tasks, timeout=self.timeout + 1)

    def _main(self):
        asyncio.run(self._run())

    def start(self):
        self._thread.start()
        return self

    def stop(self):
        self._stop.set()
        self._thread.join(timeout=self.limit)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        return False

    def between(self, start, end):
        """The records of the requests sent in [start, end]."""
        return sorted(r for r in self.records if start <= r[0] <= end)


def answers(address, timeout=1.0):
    """True when GET http://ADDRESS/ answers 200 within ``timeout`` seconds."""
    try:
        with urllib.request.urlopen(f"http://{address}/", timeout=timeout) as response:
            return response.status == 200
    except OSError:
        return False
