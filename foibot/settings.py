"""Settings: one TOML file, validated strictly at load into one typed object per section.

foibot reads ``--config PATH``, else ``$FOIBOT_CONFIG``, else ``./config.toml``. Every key is
declared in :data:`SCHEMA`; an unknown key, a wrong type or a missing required key is a
:class:`ConfigError` naming the file and the key, e.g.
``config.toml: [smtp] port: expected an integer, got "abc"``.

Secrets never sit in the file: ``password_env`` names an environment variable and
``password_command`` a command whose stdout is the secret (like mbsync's PassCmd). They are
resolved only when a connection is made and never written to state or logs.
"""

from __future__ import annotations

import hashlib
import os
import shlex
import subprocess
import tomllib
from dataclasses import dataclass, field
from datetime import time, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from foibot.errors import ConfigError

DEFAULT_FILE = "config.toml"

_REQUIRED = object()

# section -> key -> (type, default). ``_REQUIRED`` marks keys that must be present when the
# section is used; ``None`` defaults are optional.
SCHEMA: dict[str, dict[str, tuple[type | tuple[type, ...], Any]]] = {
    "sender": {
        "name": (str, _REQUIRED),
        "address": (str, _REQUIRED),
        "postal_address": (str, ""),
        "reply_to": (str, None),
        "signature": (str, None),
    },
    "smtp": {
        "host": (str, _REQUIRED),
        "port": (int, 587),
        "security": (str, "starttls"),
        "username": (str, None),
        "password_env": (str, None),
        "password_command": (str, None),
        "timeout_seconds": ((int, float), 30),
        "rate_per_minute": ((int, float), 0),
        "retries": (int, 3),
        "retry_backoff_seconds": ((int, float), 2.0),
    },
    "imap": {
        "host": (str, _REQUIRED),
        "port": (int, 993),
        "security": (str, "ssl"),
        "username": (str, None),
        "password_env": (str, None),
        "password_command": (str, None),
        "oauth2_token_command": (str, None),
        "folder": (str, "INBOX"),
        "folders": (list, None),
        "sent_folder": (str, None),
        "save_sent": (bool, False),
        "processed_folder": (str, None),
        "mark_seen": (bool, False),
        "batch_size": (int, 50),
        "timeout_seconds": ((int, float), 60),
        "idle_seconds": (int, 600),
        "read_limit_seconds": ((int, float), 120),
    },
    "state": {
        "dir": (str, "state"),
    },
    "schedule": {
        "poll_minutes": ((int, float), 10),
        "chase_time": (str, "09:30"),
        "sweep_time": (str, "07:00"),
        "misfire_grace_minutes": (int, 360),
        "use_idle": (bool, False),
    },
    "chase": {
        "enabled": (bool, True),
        "first_after_working_days": (int, 1),
        "interval_working_days": (int, 10),
        "max_chasers": (int, 3),
        "review_after_working_days": (int, 40),
        "review_overdue_working_days": (int, 20),
        "auto_send_drafts": (bool, False),
    },
    "notify": {
        "webhooks": (list, None),
        "timeout_seconds": ((int, float), 10),
        "retries": (int, 3),
    },
    "web": {
        "token_env": (str, None),
        "token_command": (str, None),
    },
    "forces": {
        "exclude": (list, None),
        "email": (dict, None),
        "add": (list, None),
    },
}

SECURITY = ("starttls", "ssl", "none")
MIN_TOKEN_CHARS = 16
WEBHOOK_FORMATS = ("slack", "mattermost", "json")


@dataclass(frozen=True)
class Sender:
    name: str
    address: str
    postal_address: str = ""
    reply_to: str | None = None
    signature: str | None = None

    @property
    def domain(self) -> str:
        return self.address.rpartition("@")[2] or "localhost"

    def reply_address(self, reference: str) -> str | None:
        return self.reply_to.format(ref=reference.lower()) if self.reply_to else None


@dataclass(frozen=True)
class Server:
    """An SMTP or IMAP server and where its secret comes from."""

    kind: str
    host: str
    port: int
    security: str
    username: str | None
    password_env: str | None
    password_command: str | None
    timeout_seconds: float

    def password(self) -> str | None:
        return resolve_secret(self.kind, self.password_env, self.password_command, "password")


@dataclass(frozen=True)
class SmtpSettings(Server):
    rate_per_minute: float = 0
    retries: int = 3
    retry_backoff_seconds: float = 2.0


@dataclass(frozen=True)
class ImapSettings(Server):
    oauth2_token_command: str | None = None
    folder: str = "INBOX"
    folders: tuple[str, ...] = ()
    sent_folder: str | None = None
    save_sent: bool = False
    processed_folder: str | None = None
    mark_seen: bool = False
    batch_size: int = 50
    idle_seconds: int = 600
    read_limit_seconds: float = 120.0     # one message's reading; past it, it is unreadable

    @property
    def account(self) -> str:
        """How cursors name this account: the same mailbox keeps its cursor."""
        return f"{self.username}@{self.host}:{self.port}"

    @property
    def all_folders(self) -> list[str]:
        """The folders replies are read from, the main one first, each once."""
        return list(dict.fromkeys([self.folder, *self.folders]))

    @property
    def writes(self) -> bool:
        """Does polling change the mailbox (flags or moves)?"""
        return bool(self.mark_seen or self.processed_folder)


@dataclass(frozen=True)
class ScheduleSettings:
    """``[schedule]``: when ``foibot run`` does what (times in Europe/London)."""

    poll_minutes: float = 10
    chase_time: time = time(9, 30)
    sweep_time: time = time(7, 0)
    misfire_grace_minutes: int = 360
    use_idle: bool = False

    @property
    def grace_seconds(self) -> int:
        return max(1, self.misfire_grace_minutes * 60)

    @property
    def grace(self) -> timedelta:
        return timedelta(seconds=self.grace_seconds)


@dataclass(frozen=True)
class ChaseSettings:
    """``[chase]``: the chase policy's knobs (see foibot/rules/policy.py)."""

    enabled: bool = True
    first_after_working_days: int = 1
    interval_working_days: int = 10
    max_chasers: int = 3
    review_after_working_days: int = 40
    review_overdue_working_days: int = 20
    auto_send_drafts: bool = False

    def __post_init__(self) -> None:
        for name, least in (("first_after_working_days", 1), ("interval_working_days", 1),
                            ("max_chasers", 0), ("review_after_working_days", 1),
                            ("review_overdue_working_days", 1)):
            value = getattr(self, name)
            if value < least:
                # a chaser on the deadline itself would accuse a force that is not late
                raise ConfigError(f"[chase] {name}: must be at least {least}, got {value}")


@dataclass(frozen=True)
class Webhook:
    url: str
    format: str = "json"   # "slack", "mattermost" or "json"

    @property
    def key(self) -> str:
        """How state knows this webhook: a hash, since the URL's path is often its secret."""
        return hashlib.sha256(self.url.encode()).hexdigest()[:16]

    @property
    def label(self) -> str:
        """Where it goes, without the secret part of the URL (for logs and messages)."""
        parts = urlsplit(self.url)
        return f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}"


@dataclass(frozen=True)
class NotifySettings:
    webhooks: tuple[Webhook, ...] = ()
    timeout_seconds: float = 10
    retries: int = 3

    @property
    def tries(self) -> int:
        return 1 + max(0, self.retries)


@dataclass(frozen=True)
class ForcesSettings:
    """``[forces]``: changes to the shipped registry (see foibot/registry.py)."""

    exclude: tuple[str, ...] = ()
    email: dict[str, str] = field(default_factory=dict)
    add: tuple[dict[str, Any], ...] = ()


@dataclass(frozen=True)
class WebSettings:
    """``[web]``: the access token of the web view, needed once it listens beyond loopback.

    Like a password, the token is named (an environment variable or a command), never written
    in the file, and resolved only when the server starts.
    """

    token_env: str | None = None
    token_command: str | None = None

    def token(self) -> str | None:
        value = resolve_secret("web", self.token_env, self.token_command, "token")
        if value is not None and len(value.strip()) < MIN_TOKEN_CHARS:
            how = "token_env" if self.token_env else "token_command"
            raise ConfigError(f"[web] {how}: the token must be at least {MIN_TOKEN_CHARS}"
                              " characters (e.g. the output of `openssl rand -hex 16`)")
        return value.strip() if value is not None else None


@dataclass(frozen=True)
class Settings:
    """The whole config, checked at load; a required section is asked for only when used
    (``foibot status`` needs no SMTP server)."""

    path: Path | None
    raw: dict[str, dict[str, Any]]
    state_dir: Path

    @property
    def where(self) -> str:
        """How errors name the config file."""
        return self.path.name if self.path else "config"

    def section(self, name: str) -> dict[str, Any]:
        """The section with defaults filled in; required keys checked on first use."""
        values = dict(self.raw.get(name, {}))
        for key, (_, default) in SCHEMA[name].items():
            if key not in values:
                if default is _REQUIRED:
                    if name not in self.raw:
                        raise ConfigError(
                            f"{self.where}: [{name}] section is missing (see config.example.toml;"
                            " `foibot init` writes a starting config)"
                        )
                    raise ConfigError(f"{self.where}: [{name}] {key}: required key is missing")
                values[key] = default
        return values

    def has(self, name: str) -> bool:
        return name in self.raw

    @property
    def sender(self) -> Sender:
        s = self.section("sender")
        return Sender(s["name"], s["address"], s["postal_address"], s["reply_to"], s["signature"])

    @property
    def smtp(self) -> SmtpSettings:
        s = self.section("smtp")
        return SmtpSettings(**_server("smtp", s), rate_per_minute=float(s["rate_per_minute"]),
                            retries=s["retries"],
                            retry_backoff_seconds=float(s["retry_backoff_seconds"]))

    @property
    def imap(self) -> ImapSettings:
        s = self.section("imap")
        return ImapSettings(
            **_server("imap", s), oauth2_token_command=s["oauth2_token_command"],
            folder=s["folder"], folders=tuple(s["folders"] or ()), sent_folder=s["sent_folder"],
            save_sent=s["save_sent"], processed_folder=s["processed_folder"],
            mark_seen=s["mark_seen"], batch_size=s["batch_size"], idle_seconds=s["idle_seconds"],
            read_limit_seconds=_positive("imap", "read_limit_seconds", s["read_limit_seconds"]))

    @property
    def schedule(self) -> ScheduleSettings:
        s = self.section("schedule")
        return ScheduleSettings(float(s["poll_minutes"]), _clock(s["chase_time"]),
                                _clock(s["sweep_time"]), s["misfire_grace_minutes"],
                                s["use_idle"])

    @property
    def chase(self) -> ChaseSettings:
        s = self.section("chase")
        return ChaseSettings(**{k: s[k] for k in SCHEMA["chase"]})

    @property
    def notify(self) -> NotifySettings:
        s = self.section("notify")
        hooks = tuple(Webhook(h["url"], h.get("format", "json")) for h in s["webhooks"] or [])
        return NotifySettings(hooks, float(s["timeout_seconds"]), s["retries"])

    @property
    def web(self) -> WebSettings:
        s = self.section("web")
        return WebSettings(s["token_env"], s["token_command"])

    @property
    def forces(self) -> ForcesSettings:
        s = self.section("forces")
        return ForcesSettings(tuple(s["exclude"] or ()), dict(s["email"] or {}),
                              tuple(s["add"] or ()))


def _server(kind: str, s: dict[str, Any]) -> dict[str, Any]:
    return {"kind": kind, "host": s["host"], "port": s["port"], "security": s["security"],
            "username": s["username"], "password_env": s["password_env"],
            "password_command": s["password_command"],
            "timeout_seconds": float(s["timeout_seconds"])}


def _positive(section: str, key: str, value: float) -> float:
    if value <= 0:
        raise ConfigError(f"[{section}] {key}: must be more than 0, got {value}")
    return float(value)


def _clock(value: str) -> time:
    hh, _, mm = value.partition(":")
    return time(int(hh), int(mm))


def resolve_secret(section: str, env: str | None, command: str | None, what: str) -> str | None:
    """Fetch a secret from the environment or a command, at connection time only."""
    if env:
        value = os.environ.get(env)
        if value is None:
            raise ConfigError(f"[{section}] {what}_env: environment variable {env} is not set")
        return value
    if command:
        try:
            done = subprocess.run(
                shlex.split(command), capture_output=True, text=True, timeout=60, check=False
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise ConfigError(f"[{section}] {what}_command: could not run: {exc}") from None
        if done.returncode != 0:
            raise ConfigError(
                f"[{section}] {what}_command: exited with {done.returncode}"
            )
        return done.stdout.rstrip("\r\n")
    return None


def _type_name(t: type | tuple[type, ...]) -> str:
    names = {int: "an integer", float: "a number", str: "a string", bool: "true or false",
             list: "a list", dict: "a table"}
    if isinstance(t, tuple):
        return "a number"
    return names.get(t, t.__name__)


def _check(where: str, section: str, key: str, value: Any, expected: Any) -> None:
    ok = isinstance(value, expected) and not (isinstance(value, bool) and expected in (int, (int, float)))
    if not ok:
        shown = f'"{value}"' if isinstance(value, str) else repr(value)
        raise ConfigError(f"{where}: [{section}] {key}: expected {_type_name(expected)}, got {shown}")


def validate(data: dict[str, Any], where: str) -> dict[str, dict[str, Any]]:
    """Check every section and key against :data:`SCHEMA`; return the data unchanged."""
    for section, values in data.items():
        if section not in SCHEMA:
            raise ConfigError(f"{where}: [{section}]: unknown section (known: {', '.join(SCHEMA)})")
        if not isinstance(values, dict):
            raise ConfigError(f"{where}: {section}: expected a [{section}] table")
        for key, value in values.items():
            if key not in SCHEMA[section]:
                raise ConfigError(f"{where}: [{section}] {key}: unknown key")
            _check(where, section, key, value, SCHEMA[section][key][0])
    for kind in ("smtp", "imap"):
        sec = data.get(kind, {})
        if "security" in sec and sec["security"] not in SECURITY:
            raise ConfigError(
                f'{where}: [{kind}] security: expected one of "starttls", "ssl", "none",'
                f' got "{sec["security"]}"'
            )
        if "port" in sec and not 0 < sec["port"] < 65536:
            raise ConfigError(f"{where}: [{kind}] port: expected 1-65535, got {sec['port']}")
        if sec.get("password_env") and sec.get("password_command"):
            raise ConfigError(f"{where}: [{kind}] password_env and password_command: choose one")
    web = data.get("web", {})
    if web.get("token_env") and web.get("token_command"):
        raise ConfigError(f"{where}: [web] token_env and token_command: choose one")
    sender = data.get("sender", {})
    if "address" in sender and "@" not in sender["address"]:
        raise ConfigError(f'{where}: [sender] address: expected an email address, got "{sender["address"]}"')
    if sender.get("reply_to") and "{ref}" not in sender["reply_to"]:
        raise ConfigError(f"{where}: [sender] reply_to: the pattern must contain {{ref}}")
    hooks = data.get("notify", {}).get("webhooks") or []
    for i, hook in enumerate(hooks):
        if not isinstance(hook, dict) or not isinstance(hook.get("url"), str):
            raise ConfigError(f"{where}: [notify] webhooks[{i}]: expected a table with a url")
        if hook.get("format", "json") not in WEBHOOK_FORMATS:
            raise ConfigError(
                f"{where}: [notify] webhooks[{i}] format: expected one of {', '.join(WEBHOOK_FORMATS)}"
            )
    poll = data.get("schedule", {}).get("poll_minutes")
    if poll is not None and poll <= 0:
        raise ConfigError(f"{where}: [schedule] poll_minutes: expected a number above 0")
    if "chase" in data:
        try:
            ChaseSettings(**data["chase"])
        except ConfigError as exc:
            raise ConfigError(f"{where}: {exc}") from None
    for i, hook in enumerate(hooks):
        parts = urlsplit(hook["url"])
        if parts.scheme not in ("http", "https") or not parts.hostname:
            # the URL itself is not repeated: its path is often the webhook's secret
            raise ConfigError(f"{where}: [notify] webhooks[{i}] url: expected an http(s) URL")
    for key in ("chase_time", "sweep_time"):
        value = data.get("schedule", {}).get(key)
        if value is not None:
            hh, _, mm = value.partition(":")
            if not (hh.isdigit() and mm.isdigit() and int(hh) < 24 and int(mm) < 60):
                raise ConfigError(f'{where}: [schedule] {key}: expected HH:MM, got "{value}"')
    return data


def locate(path: Path | str | None) -> Path | None:
    """The config file to use: explicit path, else ./config.toml if present, else None."""
    if path is not None:
        return Path(path)
    default = Path(DEFAULT_FILE)
    return default if default.exists() else None


def load(path: Path | str | None = None) -> Settings:
    """Load and validate the config; with no file, defaults (state in ./state)."""
    found = locate(path)
    if found is None:
        return Settings(path=None, raw={}, state_dir=Path("state").resolve())
    where = found.name
    try:
        text = found.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{found}: config file not found (run `foibot init` to write one)") from None
    except OSError as exc:
        raise ConfigError(f"{found}: cannot read config: {exc.strerror}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{where}: not valid TOML: {exc}") from None
    validate(data, where)
    state = Path(data.get("state", {}).get("dir", "state")).expanduser()
    if not state.is_absolute():
        state = (found.resolve().parent / state).resolve()
    return Settings(path=found, raw=data, state_dir=state)
