"""The policy and playbooks in force (the user's files in the config dir where they are
valid, the built-in ones otherwise), and who is at the keyboard."""

from __future__ import annotations

import getpass
import json
import os
import tomllib
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

from warroom.domain.policy import Policy, PolicyError, load_policy_file
from warroom.domain.validation import ValidationError, clean_text
from warroom.system.paths import AppPaths, builtin_playbook_file, builtin_policy_file

# Playbooks and writing files are for the GUI and a few verbs: imported where used, so the
# command line's quick reads do without them.
if TYPE_CHECKING:
    from warroom.domain.drills import Scenario
    from warroom.domain.playbook import Playbook


class _Log:
    """This module's logger, looked up when there is something to say: the command line's
    quick reads then never import logging."""

    def warning(self, message: str, *args: object) -> None:
        import logging

        logging.getLogger("warroom.system.settings").warning(message, *args, stacklevel=2)


log = _Log()

ACTOR_ENV = "WARROOM_ACTOR"
DATABASE_URL_ENV = "WARROOM_DATABASE_URL"
MAX_NAME = 80
LOGIN_MARK = " (OS login)"


def load_policy(paths: AppPaths) -> tuple[Policy, list[str]]:
    """Returns the policy and any warnings a user should see; never raises for a bad
    override, which falls back to the built-in policy."""
    builtin = load_policy_file(builtin_policy_file())
    override = paths.user_policy
    if not override.exists():
        return builtin, []
    try:
        return load_policy_file(override), []
    except PolicyError as exc:
        message = f"The policy file {exc.source} has a problem at “{exc.key}”: {exc.problem}"
        log.warning("%s; using the built-in policy", message)
        return builtin, [message + "\nThe built-in policy is in force until it is fixed."]


def load_playbooks(paths: AppPaths) -> tuple[list[Playbook], list[str]]:
    """The built-in playbook first, then each valid team playbook from the config dir, by
    file name. A malformed file is left out with a warning naming the file and the key."""
    from warroom.domain.playbook import PlaybookError, load_playbook_file

    builtin = load_playbook_file(builtin_playbook_file())
    playbooks, warnings = [builtin], []
    folder = paths.user_playbooks
    files = sorted(folder.glob("*.toml")) if folder.is_dir() else []
    for path in files:
        try:
            playbook = load_playbook_file(path, fallback=builtin)
        except PlaybookError as exc:
            message = f"The playbook {exc.source} has a problem at “{exc.key}”: {exc.problem}"
            log.warning("%s; it is not offered", message)
            warnings.append(message + ". It is left out until it is fixed.")
            continue
        if any(p.name == playbook.name for p in playbooks):
            warnings.append(
                f"The playbook {path} is named “{playbook.name}” like another one; "
                "it is left out until it has a name of its own."
            )
            continue
        playbooks.append(playbook)
    return playbooks, warnings


def load_drills(paths: AppPaths) -> tuple[list[Scenario], list[str]]:
    """The drill scenarios: the built-in ones and the team's own from the config dir, by
    name (the file's stem); a team file named like a built-in one replaces it. A file with
    a mistake is left out with a warning naming the file, the line and the problem."""
    return drill_scenarios(paths.user_drills)


def drill_scenarios(user_drills: Path | None) -> tuple[list[Scenario], list[str]]:
    """The built-in scenarios and those in `user_drills` (see load_drills)."""
    from warroom.domain.drills import ScenarioError
    from warroom.system.paths import builtin_drills_dir

    found: dict[str, Scenario] = {}
    warnings: list[str] = []
    folders = [builtin_drills_dir()] + ([user_drills] if user_drills is not None else [])
    for folder in folders:
        for path in sorted(folder.glob("*.toml")) if folder.is_dir() else []:
            try:
                found[path.stem] = load_drill_file(path)
            except ScenarioError as exc:
                log.warning("drill scenario left out: %s", exc)
                warnings.append(f"{exc}. It is left out until it is fixed.")
    return sorted(found.values(), key=lambda s: s.name), warnings


def load_drill_file(path: Path) -> Scenario:
    """One scenario file; raises domain.drills.ScenarioError (unreadable files too)."""
    from warroom.domain.drills import ScenarioError, parse_scenario

    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ScenarioError(str(path), None, "not UTF-8 text") from None
    except OSError as exc:
        raise ScenarioError(str(path), None, f"cannot be read: {exc.strerror or exc}") from None
    return parse_scenario(text, str(path), path.stem)


# -- who acts -----------------------------------------------------------------------------
class ActorSource(StrEnum):
    OPTION = "--actor"
    ENV = ACTOR_ENV
    SETTINGS = "settings"
    LOGIN = "OS login"  # nobody said: a last resort, marked as such on the timeline


@dataclass(frozen=True)
class Actor:
    """The name written on every timeline row; acknowledging makes it the IC."""

    name: str
    source: ActorSource

    @property
    def chosen(self) -> bool:
        return self.source is not ActorSource.LOGIN


def resolve_actor(option: str | None, settings_file: Path) -> Actor:
    """`--actor`, else $WARROOM_ACTOR, else the name set once in the settings, else the OS
    login, marked "(OS login)" so nobody takes it for a name someone gave."""
    given = (
        (ActorSource.OPTION, option),
        (ActorSource.ENV, os.environ.get(ACTOR_ENV)),
        (ActorSource.SETTINGS, load_display_name(settings_file)),
    )
    for source, value in given:
        try:
            name = clean_name(value or "")
        except ValidationError as exc:
            log.warning("%s ignored: %s", source.value, exc.message)
            continue
        if name:
            return Actor(name, source)
    return Actor(login_actor(), ActorSource.LOGIN)


def login_actor() -> str:
    try:
        login = getpass.getuser()
    except Exception:  # no login name in some containers and services
        login = "unknown"
    return login + LOGIN_MARK


def clean_name(name: str) -> str:
    """One line, spaces collapsed; refused when too long or with control characters."""
    name = " ".join(clean_text("name", name, "The name").split())
    if len(name) > MAX_NAME:
        raise ValidationError("name", f"The name is too long (at most {MAX_NAME} characters).")
    if any(ord(c) < 32 or ord(c) == 127 for c in name):
        raise ValidationError("name", "The name cannot hold control characters.")
    return name


def _load_settings(settings_file: Path) -> dict[str, str]:
    """The settings file's text values; {} when there is none or it cannot be read."""
    try:
        with settings_file.open("rb") as file:
            found = tomllib.load(file)
    except FileNotFoundError:
        return {}
    except (OSError, tomllib.TOMLDecodeError) as exc:
        log.warning("settings file %s unusable: %s", settings_file, exc)
        return {}
    return {key: value for key, value in found.items() if isinstance(value, str)}


def _save_settings(settings_file: Path, **changes: str | None) -> None:
    """Sets (or, with None, removes) keys, keeping the others."""
    from warroom.system import atomic

    values = _load_settings(settings_file)
    for key, value in changes.items():
        if value is None:
            values.pop(key, None)
        else:
            values[key] = value
    settings_file.parent.mkdir(parents=True, exist_ok=True)
    # A JSON string is a valid TOML basic string once control characters are refused.
    lines = [f"{key} = {json.dumps(value, ensure_ascii=False)}" for key, value in values.items()]
    text = "# warroom settings\n" + "".join(line + "\n" for line in lines)
    atomic.write_bytes(settings_file, text.encode("utf-8"))


def load_display_name(settings_file: Path) -> str:
    """The name set in the app; "" when none is set or the file cannot be read."""
    return _load_settings(settings_file).get("display_name", "")


def save_display_name(settings_file: Path, name: str) -> str:
    """Sets the name for every later start (GUI and CLI); returns it as kept."""
    name = clean_name(name)
    if not name:
        raise ValidationError("name", "Type the name others know you by.")
    _save_settings(settings_file, display_name=name)
    return name


def resolve_shared_database(option: str | None, settings_file: Path) -> str | None:
    """The shared war room to use: `--database`, else $WARROOM_DATABASE_URL, else the one
    joined in the app (File → Join a war room…); None: the local file."""
    for given in (option, os.environ.get(DATABASE_URL_ENV)):
        if given:
            return given
    return _load_settings(settings_file).get("shared_database") or None


def save_shared_database(settings_file: Path, url: str | None) -> str | None:
    """Remembers the war room joined (None: left) for later starts; the URL is kept without
    its password, which belongs in ~/.pgpass or a libpq service file. Returns it as kept."""
    kept = None if url is None else without_password(url)
    _save_settings(settings_file, shared_database=kept)
    return kept


def without_password(url: str) -> str:
    """`url` with any password taken out of it (user:secret@host -> user@host)."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.netloc.rsplit("@", 1)[1]
    user = parts.username or ""
    return urlunsplit(parts._replace(netloc=f"{user}@{host}" if user else host))
