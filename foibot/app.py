"""The running context every command works in: config, state and the injected clock."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from pathlib import Path

from foibot import config as config_mod
from foibot.campaign import Campaigns
from foibot.config import Config
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
        return Registry.from_config(self.config.raw.get("forces"))

    def now(self) -> datetime:
        return system_now()
