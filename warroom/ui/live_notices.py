"""Another laptop's change on the board as soon as its notice arrives.

On a shared war room the storage holds a socket that becomes readable when anyone commits
(`IncidentService.notice_socket`). A QSocketNotifier watches it, so the event loop sleeps
until a notice comes and then `poll_elsewhere` announces what changed, well within the
second the tick would otherwise take. On a local file there is no socket and nothing is
watched: the tick's poll is all there is (it stays the fallback in any case).

The socket can go away (the server restarted, the laptop slept) and come back with another
number once the watch reconnects, which happens inside a poll, this one's or the tick's.
So after each poll, and on each tick, the notifier follows the number the service gives."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QSocketNotifier

if TYPE_CHECKING:
    from warroom.services.incidents import IncidentService
    from warroom.ui.ticker import Ticker


class LiveNotices(QObject):
    def __init__(
        self, service: IncidentService, ticker: Ticker | None = None, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self._service = service
        self._notifier: QSocketNotifier | None = None
        self._socket: int | None = None
        self._polling = False
        if ticker is not None:
            # After the window's own poll on the same tick (connected earlier), which may
            # have reconnected the watch.
            ticker.ticked.connect(self.follow)
        self.follow()

    @property
    def socket(self) -> int | None:
        """The socket being watched; None when there is none (a local file, or lost)."""
        return self._socket if self._notifier is not None else None

    def follow(self, *_: object) -> None:
        """Watches the service's current notice socket, whatever happened to the last one."""
        if self._polling:
            return  # the poll in progress follows it when it is done
        socket = self._service.notice_socket()
        if self._notifier is not None and socket == self._socket:
            self._notifier.setEnabled(True)
            return
        self._drop()
        self._socket = socket
        if socket is None:
            return
        notifier = QSocketNotifier(socket, QSocketNotifier.Type.Read, self)
        notifier.activated.connect(self._on_notice)
        self._notifier = notifier

    def stop(self) -> None:
        self._drop()
        self._socket = None

    def _drop(self) -> None:
        if self._notifier is not None:
            self._notifier.setEnabled(False)
            self._notifier.deleteLater()
            self._notifier = None

    def _on_notice(self, *_: object) -> None:
        if self._notifier is not None:
            # Level-triggered: quiet while the poll drains it, and no second poll if a
            # listener runs a nested event loop meanwhile.
            self._notifier.setEnabled(False)
        self._polling = True
        try:
            self._service.poll_elsewhere()
        finally:
            self._polling = False
            self.follow()
