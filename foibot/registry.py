"""The registry of forces: every UK police force that answers FOI requests.

The facts (id, name, nation, regime, FOI address and the source of that address) ship as
package data in ``foibot/data/police_forces.csv``; the config may override an address, add a
body or exclude a force. Named groups pick the usual targets of a national batch.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, replace
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any, Iterable

from foibot import suggest
from foibot.errors import ConfigError, UsageError

if TYPE_CHECKING:
    from foibot.settings import ForcesSettings

REGIMES = ("foia", "foisa")
ACTS = {
    "foia": "Freedom of Information Act 2000",
    "foisa": "Freedom of Information (Scotland) Act 2002",
}
# Bodies outside the 43 territorial forces of England and Wales.
NON_TERRITORIAL = frozenset({"btp", "ministry-of-defence-police", "civil-nuclear-constabulary"})

GROUPS = {
    "england-wales": "the 43 territorial forces of England and Wales",
    "default": "the 43 territorial forces of England and Wales plus British Transport Police (44)",
    "uk-territorial": "the 45 territorial forces of the UK (England and Wales, Scotland, NI)",
    "all": "every body in the registry",
}


# Dropped from a force's name where space is short ("Kent Police" -> "Kent").
_NAME_SUFFIXES = (" Police Service", " Constabulary", " Police")
_NAME_PREFIXES = ("Police Service of ",)


def short_name(name: str) -> str:
    """A force's name without the words every force shares, for narrow tables.

    >>> [short_name(n) for n in ("Kent Police", "Metropolitan Police Service",
    ...  "Avon and Somerset Constabulary", "Police Service of Northern Ireland", "Police Scotland")]
    ['Kent', 'Metropolitan', 'Avon and Somerset', 'Northern Ireland', 'Police Scotland']
    """
    for prefix in _NAME_PREFIXES:
        if name.startswith(prefix) and len(name) > len(prefix):
            return name.removeprefix(prefix)
    for suffix in _NAME_SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            return name.removesuffix(suffix)
    return name


def find_force(text: str, forces: Iterable[Force]) -> Force:
    """The force ``text`` names: its id (``kent``), its name (``Kent Police``) or its short
    name (``Kent``), in any case; otherwise a usage error naming the nearest id.

    >>> kent = Force("kent", "Kent Police", "England", "foia", None, "")
    >>> find_force("Kent Police", [kent]).id
    'kent'
    >>> find_force("Kentt", [kent])
    Traceback (most recent call last):
    foibot.errors.UsageError: no such force: 'Kentt' (did you mean kent?)
    """
    by_label: dict[str, Force] = {}
    for force in forces:
        for label in (force.id, force.name, force.short_name):
            by_label.setdefault(suggest.fold(label), force)
    found = by_label.get(suggest.fold(text))
    if found is not None:
        return found
    guess = suggest.nearest(text, by_label)
    raise UsageError(suggest.unknown(
        "force", text, [], hint="see `foibot forces --group all`",
        suggestion=by_label[suggest.fold(guess)].id if guess else None))


@dataclass(frozen=True)
class Force:
    id: str
    name: str
    nation: str
    regime: str
    email: str | None
    email_source: str
    wdtk_slug: str | None = None

    @property
    def act(self) -> str:
        """The Act a letter to this force must cite."""
        return ACTS[self.regime]

    @property
    def short_name(self) -> str:
        """``Kent`` for ``Kent Police``: the name where a table is narrow."""
        return short_name(self.name)

    @property
    def domain(self) -> str | None:
        return self.email.rpartition("@")[2].lower() if self.email else None

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "name": self.name, "nation": self.nation, "regime": self.regime,
            "act": self.act, "email": self.email, "email_source": self.email_source,
            "wdtk_slug": self.wdtk_slug,
        }


@cache
def shipped() -> tuple[Force, ...]:
    """The forces shipped with foibot, in file order."""
    text = resources.files("foibot").joinpath("data/police_forces.csv").read_text("utf-8")
    lines = [line for line in io.StringIO(text) if not line.startswith("#")]
    return tuple(
        Force(
            id=row["id"], name=row["name"], nation=row["nation"], regime=row["regime"],
            email=row["email"] or None, email_source=row["email_source"],
            wdtk_slug=row["wdtk_slug"] or None,
        )
        for row in csv.DictReader(lines)
    )


def _in_group(force: Force, group: str) -> bool:
    england_wales = force.nation in ("England", "Wales") and force.id not in NON_TERRITORIAL
    if group == "england-wales":
        return england_wales
    if group == "default":
        return england_wales or force.id == "btp"
    if group == "uk-territorial":
        return england_wales or force.id in ("police-scotland", "northern-ireland")
    return group == "all"


class Registry:
    """The shipped forces with the config's overrides applied."""

    def __init__(self, forces: Iterable[Force], excluded: Iterable[str] = ()) -> None:
        self.forces = {f.id: f for f in forces}
        self.excluded = frozenset(excluded)

    @classmethod
    def from_settings(cls, section: "ForcesSettings | None" = None) -> "Registry":
        """The shipped forces with ``[forces]`` applied: addresses overridden, bodies added,
        forces excluded."""
        from foibot.settings import ForcesSettings

        section = section or ForcesSettings()
        forces = {f.id: f for f in shipped()}
        for fid, address in section.email.items():
            if fid not in forces:
                raise ConfigError(
                    f"[forces] email.{fid}: no such force (see `foibot forces --group all`)")
            forces[fid] = replace(forces[fid], email=address or None, email_source="config.toml")
        for i, extra in enumerate(section.add):
            try:
                force = Force(
                    id=extra["id"], name=extra["name"], nation=extra.get("nation", "UK-wide"),
                    regime=extra.get("regime", "foia"), email=extra.get("email"),
                    email_source=extra.get("email_source", "config.toml"),
                )
            except (KeyError, TypeError):
                raise ConfigError(f"[forces] add[{i}]: needs at least id and name") from None
            if force.regime not in REGIMES:
                raise ConfigError(f'[forces] add[{i}] regime: expected "foia" or "foisa"')
            forces[force.id] = force
        excluded = section.exclude
        for fid in excluded:
            if fid not in forces:
                raise ConfigError(f"[forces] exclude: no such force {fid!r}")
        return cls(forces.values(), excluded)

    def get(self, force_id: str) -> Force:
        try:
            return self.forces[force_id]
        except KeyError:
            return self.resolve(force_id)

    def resolve(self, text: str) -> Force:
        """The force a person named (``kent``, ``Kent Police``, ``Kent``), or one line naming
        the nearest: ``no such force: 'Kentt' (did you mean kent?)``."""
        return find_force(text, self.forces.values())

    def group(self, name: str) -> list[Force]:
        """The forces of a named group, less any the config excludes; added bodies join ``all``."""
        if name not in GROUPS:
            raise UsageError(f"no such group: {name!r} (groups: {', '.join(GROUPS)})")
        shipped_ids = {f.id for f in shipped()}
        return [
            f for f in self.forces.values()
            if f.id not in self.excluded
            and (_in_group(f, name) if f.id in shipped_ids else name == "all")
        ]

    def by_domain(self, domain: str) -> list[Force]:
        """Forces whose FOI address sits on ``domain`` or a parent of it (replies come from
        other mailboxes of the same force, e.g. a records unit)."""
        domain = domain.lower()
        found = []
        for force in self.forces.values():
            own = force.domain
            if own and (domain == own or domain.endswith("." + own) or own.endswith("." + domain)
                        or _same_org(own, domain)):
                found.append(force)
        return found


def _same_org(a: str, b: str) -> bool:
    """``essex.pnn.police.uk`` and ``essex.police.uk`` are one force (the PNN move)."""
    def core(d: str) -> str:
        return d.removesuffix(".pnn.police.uk").removesuffix(".police.uk")
    return a.endswith("police.uk") and b.endswith("police.uk") and core(a) == core(b)
