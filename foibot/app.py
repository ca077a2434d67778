"""The running context every command works in: config, state and the injected clock."""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from pathlib import Path
from typing import Callable, Iterator

from foibot import settings as config_mod
from foibot.campaign import Campaigns, Request
from foibot.settings import Config
from foibot.errors import ConfigError
from foibot.mail.outbox import Outbox, Outgoing, SmtpTransport
from foibot.registry import Registry
from foibot.store import Store
from foibot.timeutil import now as system_now


@dataclass
class App:
    config: Config

    @classmethod
    def load(cls, path: Path | str | None = None) -> "App":
        return cls(config_mod.load(path))

    @cached_property
    def store(self) -> Store:
        return Store(self.config.state_dir)

    @cached_property
    def campaigns(self) -> Campaigns:
        return Campaigns(self.store)

    @cached_property
    def registry(self) -> Registry:
        try:
            return Registry.from_config(self.config.raw.get("forces"))
        except ConfigError as exc:
            where = self.config.path.name if self.config.path else "config"
            raise ConfigError(f"{where}: {exc}") from None

    def now(self) -> datetime:
        return system_now()

    @contextmanager
    def outbox(self, campaign: str, *,
               guard: Callable[[Request, Outgoing], str | None] | None = None) -> Iterator[Outbox]:
        """The exactly-once outbox of a campaign over the configured SMTP server; the one
        connection it opens is closed on the way out."""
        smtp = self.config.section("smtp")
        transport = SmtpTransport(self.config.smtp)
        try:
            yield Outbox(self.campaigns, campaign, self.config.sender, transport,
                         clock=self.now, retries=smtp["retries"],
                         backoff_seconds=smtp["retry_backoff_seconds"],
                         rate_per_minute=smtp["rate_per_minute"], guard=guard)
        finally:
            transport.close()
