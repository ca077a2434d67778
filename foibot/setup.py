"""First-run setup: a commented config and the state dir."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from foibot import settings as config_mod
from foibot.errors import UsageError
from foibot.letters.render import shipped_templates_dir
from foibot.store import Store


def example_config_text() -> str:
    """config.example.toml from the source tree, or its copy inside the installed package."""
    packaged = Path(str(resources.files("foibot"))) / "_templates" / "config.example.toml"
    if packaged.exists():
        return packaged.read_text("utf-8")
    return (shipped_templates_dir().parent / "config.example.toml").read_text("utf-8")


def init_config(path: Path) -> Path:
    if path.exists():
        raise UsageError(f"{path} already exists; not overwriting it")
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "x", encoding="utf-8") as fh:
        fh.write(example_config_text())
    cfg = config_mod.load(path)
    Store(cfg.state_dir).ensure()
    return cfg.state_dir
