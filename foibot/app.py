"""The running context every command works in: settings, the state dir's store, the registry
of forces and the injected clock."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from foibot import settings as settings_mod
from foibot.errors import ConfigError
from foibot.registry import Registry
from foibot.settings import Settings
from foibot.store import CampaignStore, Store
from foibot.timeutil import now as system_now

if TYPE_CHECKING:
    from foibot.mail.outbox import Outbox

Guard = Callable[..., "str | None"]


@dataclass
class App:
    config: Settings

    @classmethod
    def load(cls, path: Path | str | None = None) -> "App":
        return cls(settings_mod.load(path))

    @cached_property
    def store(self) -> Store:
        return Store(self.config.state_dir)

    @property
    def campaigns(self) -> CampaignStore:
        return self.store.campaigns

    @cached_property
    def registry(self) -> Registry:
        try:
            return Registry.from_settings(self.config.forces)
        except ConfigError as exc:
            raise ConfigError(f"{self.config.where}: {exc}") from None

    def now(self) -> datetime:
        return system_now()

    @contextmanager
    def outbox(self, campaign: str, *, guard: Guard | None = None) -> Iterator["Outbox"]:
        """The exactly-once outbox of a campaign over the configured SMTP server; the one
        connection it opens is closed on the way out."""
        from foibot.mail.outbox import Outbox
        from foibot.mail.smtp import SmtpTransport

        smtp = self.config.smtp
        transport = SmtpTransport(smtp)
        try:
            yield Outbox(self.store, campaign, self.config.sender, transport, clock=self.now,
                         retries=smtp.retries, backoff_seconds=smtp.retry_backoff_seconds,
                         rate_per_minute=smtp.rate_per_minute, guard=guard)
        finally:
            transport.close()
