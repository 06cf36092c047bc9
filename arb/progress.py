"""Progress bars for long work: shown on a terminal after a couple of seconds, silent otherwise."""

from __future__ import annotations

import os
import sys

from tqdm import tqdm


class TqdmProgress:
    def __init__(self, total: int, desc: str, unit: str = "events") -> None:
        self._bar = tqdm(
            total=total or None,
            desc=desc,
            unit=unit,
            unit_scale=True,
            delay=2.0,
            file=sys.stderr,
            disable=not (sys.stderr.isatty() or os.environ.get("ARB_PROGRESS") == "1"),
            dynamic_ncols=True,
        )

    def update(self, n: int) -> None:
        self._bar.update(n)

    def close(self) -> None:
        self._bar.close()


def bar_factory(desc: str, unit: str = "events"):
    return lambda total: TqdmProgress(total, desc, unit)
