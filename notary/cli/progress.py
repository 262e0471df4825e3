"""Progress bars on standard error (rich): counts, files per second and time remaining.

Drawn only when standard error is a terminal, so logs and pipes get the summary lines alone.
"""

from __future__ import annotations

import sys
from types import TracebackType

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text


class RateColumn(ProgressColumn):
    """Items per second, as measured by rich over its recent window."""

    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text("" if speed is None else f"{speed:,.0f} files/s", style="progress.data.speed")


def stderr_console() -> Console:
    """A console on standard error (standard output keeps the results)."""
    return Console(file=sys.stderr)


class Meter:
    """A set of progress bars that is silent when nobody watches."""

    def __init__(self, enabled: bool | None = None) -> None:
        console = stderr_console()
        shown = console.is_terminal if enabled is None else enabled
        self._progress = Progress(
            TextColumn("{task.description:<10}"),
            BarColumn(),
            MofNCompleteColumn(),
            RateColumn(),
            TextColumn("eta"),
            TimeRemainingColumn(),
            TimeElapsedColumn(),
            console=console,
            disable=not shown,
            transient=False,
        )

    def task(self, description: str, total: int) -> TaskID:
        """A new bar of `total` items."""
        return self._progress.add_task(description, total=total)

    def advance(self, task: TaskID, count: int = 1) -> None:
        """`count` more items of `task` are done (thread-safe)."""
        self._progress.advance(task, count)

    def __enter__(self) -> Meter:
        self._progress.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._progress.stop()
