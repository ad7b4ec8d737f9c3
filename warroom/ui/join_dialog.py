"""Incident → Join a shared war room…: the server, database and role to share with the other
laptops, tried before anything is kept. The password is never kept in warroom's settings:
it is used for this start only, or written to ~/.pgpass (readable by the user alone) when
they ask."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import quote, urlencode

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from warroom.services.ports import StoreError
from warroom.system import atomic
from warroom.system.pgpass import pgpass_file, remember_password
from warroom.ui.widgets import ErrorBanner

# libpq's sslmode values, safest first: verify-full checks the certificate and the name.
TLS_MODES = (
    ("verify-full", "Verify the server's certificate and name (recommended)"),
    ("require", "Encrypt, without checking the certificate"),
    ("prefer", "Encrypt when the server offers it"),
    ("disable", "No encryption (a trusted network only)"),
)
DEFAULT_PORT = 5432


class JoinRoomDialog(QDialog):
    """`joined(url, password)` once the room answered: the URL to remember (no password in
    it) and the password for this start ("" when none was typed or it went to ~/.pgpass)."""

    joined = Signal(str, str)

    def __init__(self, check: Callable[[str], None], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._check = check
        self.setWindowTitle("Join a shared war room — warroom")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        intro = QLabel(
            "Several laptops share one incident record on a PostgreSQL server: every change "
            "shows on every screen. warroom restarts on the shared room; the evidence files "
            "you collect stay in this laptop's data folder.",
            self,
        )
        intro.setWordWrap(True)
        self.host_edit = QLineEdit(self)
        self.host_edit.setPlaceholderText("e.g. warroom-db.example.com")
        self.port_spin = QSpinBox(self)
        self.port_spin.setRange(1, 65535)
        self.port_spin.setValue(DEFAULT_PORT)
        self.database_edit = QLineEdit("warroom", self)
        self.user_edit = QLineEdit(self)
        self.user_edit.setPlaceholderText("your own database role, e.g. alice")
        self.password_edit = QLineEdit(self)
        self.password_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.password_edit.setPlaceholderText(f"empty: from {pgpass_file()}")
        self.remember_box = QCheckBox(f"Remember the password in {pgpass_file()}", self)
        self.remember_box.setToolTip("libpq's password file, readable by you alone (mode 0600)")
        self.tls_combo = QComboBox(self)
        for mode, text in TLS_MODES:
            self.tls_combo.addItem(text, mode)
        self.root_cert_edit = QLineEdit(self)
        self.root_cert_edit.setPlaceholderText("the server's CA certificate (optional)")
        for label, edit in (
            ("Server", self.host_edit),
            ("Port", self.port_spin),
            ("Database", self.database_edit),
            ("Role", self.user_edit),
            ("Password", self.password_edit),
            ("Encryption", self.tls_combo),
            ("CA certificate", self.root_cert_edit),
        ):
            edit.setAccessibleName(label)
        self.preview = QLabel(self)
        self.preview.setObjectName("hint")
        self.preview.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.preview.setWordWrap(True)
        self.error = ErrorBanner(self)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel, self)
        self.join_button = buttons.addButton("&Join", QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.accepted.connect(self.join)
        buttons.rejected.connect(self.reject)
        form = QFormLayout()
        form.addRow("&Server", self.host_edit)
        form.addRow("P&ort", self.port_spin)
        form.addRow("&Database", self.database_edit)
        form.addRow("&Role", self.user_edit)
        form.addRow("&Password", self.password_edit)
        form.addRow("", self.remember_box)
        form.addRow("&Encryption", self.tls_combo)
        form.addRow("C&A certificate", self.root_cert_edit)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.preview)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self.setMinimumWidth(560)
        for edit in (self.host_edit, self.database_edit, self.user_edit, self.root_cert_edit):
            edit.textChanged.connect(self._show_preview)
        self.port_spin.valueChanged.connect(self._show_preview)
        self.tls_combo.currentIndexChanged.connect(self._show_preview)
        self._show_preview()

    def url(self, password: str = "") -> str:
        """The room's URL as libpq takes it; with `password` only when one is given."""
        user = quote(self.user_edit.text().strip(), safe="")
        secret = f":{quote(password, safe='')}" if password else ""
        host = self.host_edit.text().strip()
        database = quote(self.database_edit.text().strip(), safe="")
        query = {"sslmode": str(self.tls_combo.currentData())}
        if self.root_cert_edit.text().strip():
            query["sslrootcert"] = self.root_cert_edit.text().strip()
        return (
            f"postgresql://{user}{secret}@{host}:{self.port_spin.value()}/{database}"
            f"?{urlencode(query)}"
        )

    def _show_preview(self) -> None:
        self.preview.setText(f"Joins {self.url()}")

    def _missing(self) -> str:
        for edit, what in (
            (self.host_edit, "the server"),
            (self.database_edit, "the database"),
            (self.user_edit, "your database role"),
        ):
            if not edit.text().strip():
                edit.setFocus()
                return f"Type {what}."
        return ""

    def join(self) -> None:
        missing = self._missing()
        if missing:
            self.error.show_message(missing)
            return
        password = self.password_edit.text()
        QGuiApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            self._check(self.url(password))
        except StoreError as exc:
            self.error.show_message(str(exc))
            return
        finally:
            QGuiApplication.restoreOverrideCursor()
        kept_password = password
        if password and self.remember_box.isChecked():
            try:
                remember_password(
                    self.host_edit.text().strip(),
                    self.port_spin.value(),
                    self.database_edit.text().strip(),
                    self.user_edit.text().strip(),
                    password,
                )
            except OSError as exc:
                self.error.show_message(
                    f"Not joined: cannot write {pgpass_file()}: {atomic.why(exc)}"
                )
                return
            kept_password = ""
        self.joined.emit(self.url(), kept_password)
        self.accept()
