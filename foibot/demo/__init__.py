"""``foibot demo``: a whole campaign played over loopback servers (see :mod:`.script`)."""

from foibot.demo.script import DAYS, START, DemoResult, play, run_demo

__all__ = ["DAYS", "START", "DemoResult", "play", "run_demo"]
