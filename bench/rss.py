"""Peak resident memory of this process's children (e.g. a Jupyter kernel), sampled from /proc.

``RUSAGE_CHILDREN`` would count a forked child's image before ``exec`` (a copy of the
parent), so kernels are measured by sampling their own VmRSS while they run.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path


class ChildPeak:
    """Context manager: ``peak_mib`` is the largest VmRSS any descendant reached (MiB)."""

    def __init__(self, every_s: float = 0.1):
        self.every_s = every_s
        self.peak_mib = 0.0
        self._stop = threading.Event()

    def _descendants(self) -> list[int]:
        parents: dict[int, int] = {}
        for d in Path("/proc").iterdir():
            if d.name.isdigit():
                try:
                    parents[int(d.name)] = int(
                        (d / "stat").read_text().rsplit(")", 1)[1].split()[1]
                    )
                except (OSError, IndexError, ValueError):
                    continue
        found, frontier = [], [os.getpid()]
        while frontier:
            kids = [p for p, pp in parents.items() if pp in frontier]
            found += kids
            frontier = kids
        return found

    def _poll(self) -> None:
        while not self._stop.wait(self.every_s):
            for pid in self._descendants():
                try:
                    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                        if line.startswith("VmRSS:"):
                            self.peak_mib = max(self.peak_mib, int(line.split()[1]) / 1024)
                except OSError:
                    continue

    def __enter__(self) -> ChildPeak:
        self._thread = threading.Thread(target=self._poll, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
