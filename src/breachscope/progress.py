"""Progress reporting as an injected dependency: null, rich bar, or recording (tests)."""

from __future__ import annotations

from types import TracebackType
from typing import Protocol


class Progress(Protocol):
    def start(self, description: str, total: float | None = None) -> None: ...

    def advance(self, amount: float = 1) -> None: ...

    def finish(self) -> None: ...


class NullProgress:
    def start(self, description: str, total: float | None = None) -> None:
        pass

    def advance(self, amount: float = 1) -> None:
        pass

    def finish(self) -> None:
        pass


class RecordingProgress:
    """Keeps every call, for tests."""

    def __init__(self) -> None:
        self.events: list[tuple[str, object]] = []
        self.done: float = 0

    def start(self, description: str, total: float | None = None) -> None:
        self.events.append(("start", (description, total)))

    def advance(self, amount: float = 1) -> None:
        self.done += amount
        self.events.append(("advance", amount))

    def finish(self) -> None:
        self.events.append(("finish", None))


class RichProgress:
    """A rich progress bar on stderr; transient, so reports printed after it stay clean."""

    def __init__(self) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            DownloadColumn,
            TaskProgressColumn,
            TextColumn,
            TimeRemainingColumn,
        )
        from rich.progress import Progress as _RichProgress

        self._bar = _RichProgress(
            TextColumn("{task.description}"),
            BarColumn(),
            TaskProgressColumn(),
            DownloadColumn(),
            TimeRemainingColumn(),
            console=Console(stderr=True),
            transient=True,
        )
        self._task: object | None = None

    def start(self, description: str, total: float | None = None) -> None:
        if self._task is None:
            self._bar.start()
        self._task = self._bar.add_task(description, total=total)

    def advance(self, amount: float = 1) -> None:
        if self._task is not None:
            self._bar.advance(self._task, amount)  # type: ignore[arg-type]

    def finish(self) -> None:
        self._bar.stop()
        self._task = None

    def __enter__(self) -> RichProgress:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.finish()
