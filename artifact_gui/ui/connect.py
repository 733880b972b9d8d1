"""File → Connect to Server: URL and token, a connection test that says exactly what is
wrong (and the token's permission), and "remember" (the token through `Credentials` to the
OS keyring, the bookmark to QSettings; never the token to a settings file)."""

from __future__ import annotations

from urllib.parse import urlparse

from PySide6.QtCore import QSettings, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ..core.text import counted, sentence
from ..stores.base import StoreError
from ..stores.credentials import Credentials, default_credentials, plain_http_warning
from ..stores.remote import AuthenticationError, RemoteStore, ServerUnreachableError
from .tasks import TaskRunner
from .theme import error_css

BOOKMARKS_KEY = "servers/bookmarks"


def bookmarks() -> list[dict[str, str]]:
    value = QSettings().value(BOOKMARKS_KEY) or []
    return [b for b in value if isinstance(b, dict) and b.get("url")]


def save_bookmark(url: str, name: str) -> None:
    kept = [b for b in bookmarks() if b["url"] != url]
    QSettings().setValue(BOOKMARKS_KEY, [{"url": url, "name": name or url}] + kept)


def check_url(url: str) -> str | None:
    """What is wrong with a server URL, or None."""
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        return f"invalid server URL {url!r}: it must look like http://host:8765"
    return None


def test_connection(url: str, token: str) -> str:
    """A description of the server and the token's permission, or a StoreError that says
    which problem it is."""
    store = RemoteStore(url, token=token or None, timeout=10)
    try:
        store.health()
        caller = store.whoami()
        stats = store.stats()
    except AuthenticationError as error:
        raise StoreError(f"The server refused the token: {error.detail}") from None
    except ServerUnreachableError:
        raise StoreError(f"cannot reach {url}: no server answers there (check the host, the port and "
                         "that 'artifact-gui serve' is running)") from None
    finally:
        store.close()
    permission = "read-only" if caller.read_only else "read-write"
    summary = (f"Connected ({permission}): {counted(stats.collections, 'artifact')},"
               f" {counted(stats.versions, 'version')}; data kept in {caller.backend or 'an unnamed backend'}.")
    warning = plain_http_warning(url) if token else None
    return f"{summary}\nWarning: {warning}." if warning else summary


def remember_widgets(parent: QWidget, credentials: Credentials, prefix: str,
                     also: str = "") -> tuple[QCheckBox, QLabel]:
    """"Remember this server", and a note, shown only when no OS keyring can keep the token,
    that says so and where the token goes instead (before anyone relies on it being kept)."""
    problem = credentials.keyring_problem()
    remember = QCheckBox("Remember this server" + (" (token in the OS keyring)" if problem is None else ""), parent)
    remember.setObjectName(f"{prefix}Remember")
    remember.setChecked(True)
    note = QLabel(f"The token cannot be kept: {problem}. It is used for this session only{also}."
                  if problem else "", parent)
    note.setObjectName(f"{prefix}KeyringNote")
    note.setWordWrap(True)
    note.setVisible(problem is not None)
    return remember, note


class TokenDialog(QDialog):
    """Asked when a server refuses the window's token (or wants one): the token, kept where
    `Credentials` can keep it, and the window reconnects with it."""

    def __init__(self, url: str, parent: QWidget | None = None, credentials: Credentials | None = None):
        super().__init__(parent)
        self.url, self.credentials = url, credentials or default_credentials()
        self.setObjectName("tokenDialog")
        self.setWindowTitle("Token for the server")
        self.setMinimumWidth(480)
        intro = QLabel(f"The server at {url} did not accept this window's token, or needs one. Enter a token "
                       "from 'artifact-gui token create' on the server (ask whoever runs it).", self)
        intro.setWordWrap(True)
        self.token = QLineEdit(self)
        self.token.setObjectName("tokenValue")
        self.token.setAccessibleName("Token")
        self.token.setEchoMode(QLineEdit.EchoMode.Password)
        self.remember, self.keyring_note = remember_widgets(self, self.credentials, "token")
        self.where = ""
        buttons = QDialogButtonBox(self)
        self.ok_button = buttons.addButton("Connect", QDialogButtonBox.ButtonRole.AcceptRole)
        self.ok_button.setObjectName("tokenConnect")
        self.ok_button.setEnabled(False)
        buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        self.token.textChanged.connect(lambda text: self.ok_button.setEnabled(bool(text.strip())))
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.token)
        layout.addWidget(self.remember)
        layout.addWidget(self.keyring_note)
        layout.addWidget(buttons)

    def accept(self) -> None:
        token = self.token.text().strip()
        if not token:
            return
        self.where = self.credentials.set(self.url, token, self.remember.isChecked())
        super().accept()


class ConnectDialog(QDialog):
    connectRequested = Signal(str)  # the server URL, its token now findable by RemoteStore

    def __init__(self, runner: TaskRunner, parent: QWidget | None = None, credentials: Credentials | None = None):
        super().__init__(parent)
        self.credentials = credentials or default_credentials()
        self.setObjectName("connectDialog")
        self.setWindowTitle("Connect to Server")
        self.setMinimumWidth(520)
        self.runner = runner
        self.saved = QListWidget(self)
        self.saved.setObjectName("savedServers")
        self.saved.setAccessibleName("Saved servers")
        for bookmark in bookmarks():
            item = QListWidgetItem(f"{bookmark['name']}  —  {bookmark['url']}", self.saved)
            item.setData(Qt.ItemDataRole.UserRole, bookmark)
        self.saved.currentItemChanged.connect(self._on_saved_chosen)
        self.saved.setMaximumHeight(110)
        self.url = QLineEdit(self)
        self.url.setObjectName("connectUrl")
        self.url.setAccessibleName("Server URL")
        self.url.setPlaceholderText("http://host:8765")
        self.name = QLineEdit(self)
        self.name.setObjectName("connectName")
        self.name.setAccessibleName("Display name")
        self.token = QLineEdit(self)
        self.token.setObjectName("connectToken")
        self.token.setAccessibleName("Token")
        self.token.setEchoMode(QLineEdit.EchoMode.Password)
        self.token.setPlaceholderText("from 'artifact-gui token create' on the server")
        self.remember, self.keyring_note = remember_widgets(self, self.credentials, "connect",
                                                            also="; the server's address is still remembered")
        self.status = QLabel(self)
        self.status.setObjectName("connectStatus")
        self.status.setTextFormat(Qt.TextFormat.PlainText)  # a server's words are never markup
        self.status.setWordWrap(True)
        # Room for four lines from the start, so the buttons stay put whatever a test says.
        self.status.setFixedHeight(4 * self.status.fontMetrics().lineSpacing() + 4)
        self.status.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.test_button = QPushButton("Test Connection", self)
        self.test_button.setObjectName("connectTest")
        self.test_button.clicked.connect(self.test)
        buttons = QDialogButtonBox(self)
        self.connect_button = buttons.addButton("Connect", QDialogButtonBox.ButtonRole.AcceptRole)
        self.connect_button.setObjectName("connectConfirm")
        buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.connect_to_server)
        buttons.rejected.connect(self.reject)
        form = QFormLayout()
        form.addRow("Server URL:", self.url)
        form.addRow("Name:", self.name)
        form.addRow("Token:", self.token)
        form.addRow("", self.remember)
        form.addRow("", self.keyring_note)
        layout = QVBoxLayout(self)
        if self.saved.count():
            layout.addWidget(QLabel("Saved servers:", self))
            layout.addWidget(self.saved)
        else:
            self.saved.hide()  # out of the layout it sat in the dialog's corner and took the focus
        layout.addLayout(form)
        layout.addWidget(self.test_button, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(self.status)
        layout.addWidget(buttons)
        self.last_test: str | None = None

    def _on_saved_chosen(self, item: QListWidgetItem | None) -> None:
        if item is not None:
            bookmark = item.data(Qt.ItemDataRole.UserRole)
            self.url.setText(bookmark["url"])
            self.name.setText(bookmark["name"])

    def _values(self) -> tuple[str, str] | None:
        url = self.url.text().strip().rstrip("/")
        problem = check_url(url)
        if problem:
            self._show(problem, ok=False)
            return None
        return url, self.token.text().strip()

    def _show(self, text: str, ok: bool) -> None:
        self.last_test = text
        self.status.setText(sentence(text))
        self.status.setStyleSheet("" if ok else error_css())

    def test(self, then_connect: bool = False) -> None:
        values = self._values()
        if values is None:
            return
        url, token = values
        self.status.setText(f"Testing {url}…")

        def done(summary: str) -> None:
            self._show(summary, ok=True)
            if then_connect:
                self._finish(url, token)

        self.runner.submit(f"Testing the connection to {url}", test_connection, url, token, on_success=done,
                           on_error=lambda error: self._show(str(error), ok=False))

    def connect_to_server(self) -> None:
        self.test(then_connect=True)

    def _finish(self, url: str, token: str) -> None:
        where = (self.credentials.set(url, token, self.remember.isChecked()) if token
                 else "No token: anonymous reading.")
        if self.remember.isChecked():
            save_bookmark(url, self.name.text().strip())
        self._show(where, ok=True)
        self.connectRequested.emit(url)
        self.accept()
