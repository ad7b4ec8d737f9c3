"""Where warroom keeps its files. Importing this module creates nothing.

platformdirs gives the per-user defaults; `--data-dir` or WARROOM_DATA_DIR override the data
dir (tests always do), and its logs/ folder then holds the log. Resources and templates are
found in a source checkout, an installed wheel (warroom/_data/) and a PyInstaller bundle
(sys._MEIPASS).
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

APP_NAME = "warroom"
DATA_DIR_ENV = "WARROOM_DATA_DIR"
DB_FILENAME = "warroom.db"


@dataclass(frozen=True)
class AppPaths:
    data_dir: Path
    config_dir: Path
    log_dir: Path

    @property
    def database(self) -> Path:
        return self.data_dir / DB_FILENAME

    @property
    def backups(self) -> Path:
        return self.data_dir / "backups"

    @property
    def vault(self) -> Path:
        """Evidence copies, one private folder per incident."""
        return self.data_dir / "vault"

    @property
    def user_checklist(self) -> Path:
        """A team's own evidence checklist; replaces the built-in one when valid."""
        return self.config_dir / "checklists" / "evidence.toml"

    @property
    def settings_file(self) -> Path:
        """The user's own settings (their display name), read by the GUI and the CLI."""
        return self.config_dir / "settings.toml"

    @property
    def user_policy(self) -> Path:
        return self.config_dir / "policy.toml"

    @property
    def user_playbooks(self) -> Path:
        return self.config_dir / "playbooks"

    @property
    def user_drills(self) -> Path:
        """A team's own drill scenarios; one named like a built-in one replaces it."""
        return self.config_dir / "drills"

    @property
    def user_templates(self) -> Path:
        """A team's own export templates; a file here overrides the built-in of that name."""
        return self.config_dir / "templates"


def resolve_paths(data_dir: str | os.PathLike[str] | None = None) -> AppPaths:
    import platformdirs  # deferred: only the app and CLI need it, not every importer

    chosen = data_dir or os.environ.get(DATA_DIR_ENV)
    data = Path(chosen).expanduser() if chosen else platformdirs.user_data_path(APP_NAME)
    return AppPaths(
        data_dir=data.absolute(),
        config_dir=platformdirs.user_config_path(APP_NAME),
        # a data folder of its own keeps its log beside it, out of the user's home
        log_dir=data.absolute() / "logs" if chosen else platformdirs.user_log_path(APP_NAME),
    )


def demo_data_dir() -> Path:
    import platformdirs

    return platformdirs.user_data_path(APP_NAME) / "demo"


def _data_root() -> Path:
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        return Path(bundle)
    package = Path(__file__).resolve().parent.parent
    installed = package / "_data"
    if installed.is_dir():
        return installed
    return package.parent  # source checkout or editable install


def resources_dir() -> Path:
    return _data_root() / "resources"


def templates_dir() -> Path:
    return _data_root() / "templates"


def builtin_policy_file() -> Path:
    return resources_dir() / "policy.toml"


def builtin_playbook_file() -> Path:
    return resources_dir() / "playbooks" / "standard.toml"


def builtin_drills_dir() -> Path:
    return resources_dir() / "drills"
