"""``foibot campaign create|list|show``."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer
from rich.table import Table

from foibot.cli.common import console, load_app, parse_vars, print_json
from foibot.errors import UsageError
from foibot.letters import Letters

campaign_app = typer.Typer(help="Create and inspect campaigns.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(campaign_app, name="campaign")


@campaign_app.command("create")
def create(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="Short name, e.g. social-media-2026."),
    template: Optional[Path] = typer.Option(
        None, "--template", "-t", help="Request letter template file or directory."),
    group: str = typer.Option("default", "--group", "-g", help="Group of forces to ask."),
    var: Optional[List[str]] = typer.Option(
        None, "--var", help="Template variable KEY=VALUE (repeatable); `question` is required."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Create a campaign: one request, with its own reference, per force of the group."""
    app = load_app(ctx)
    variables = parse_vars(var)
    letters = Letters(template.resolve() if template else None)
    letters.check("request")
    forces = app.registry.group(group)
    if not forces:
        raise UsageError(f"group {group!r} has no forces left after the config's exclusions")
    campaign, requests = app.campaigns.create(
        name, forces=forces, group=group,
        template=str(template.resolve()) if template else None,
        variables=variables, now=app.now(),
    )
    if as_json:
        print_json({"name": name, "requests": [
            {"force": r.force.id, "reference": r.reference, "email": r.force.email}
            for r in requests]})
        return
    console.print(f"created campaign {name!r}: {len(requests)} requests (group {group})")
    missing = [r.force.id for r in requests if not r.force.email]
    if missing:
        console.print(f"no known address (will not be sent): {', '.join(missing)}")
    console.print(f"next: foibot preview {name}   then   foibot send {name}")


@campaign_app.command("list")
def list_(ctx: typer.Context, as_json: bool = typer.Option(False, "--json")) -> None:
    """List campaigns."""
    app = load_app(ctx)
    rows = []
    for name in app.campaigns.names():
        c = app.campaigns.get(name)
        rows.append({"name": name, "created": c.created.isoformat(), "group": c.group,
                     "requests": len(app.campaigns.requests(name))})
    if as_json:
        print_json(rows)
        return
    if not rows:
        console.print("no campaigns yet: foibot campaign create NAME --var question=...")
    for r in rows:
        console.print(f"{r['name']}\t{r['requests']} requests\tgroup {r['group']}\tcreated {r['created']}")


@campaign_app.command("show")
def show(ctx: typer.Context, name: str, as_json: bool = typer.Option(False, "--json")) -> None:
    """Show a campaign's settings and its requests."""
    app = load_app(ctx)
    c = app.campaigns.get(name)
    requests = app.campaigns.requests(name)
    data = {**c.to_doc(), "requests": [
        {"reference": r.reference, "force": r.force.id, "name": r.force.name,
         "regime": r.force.regime, "email": r.email, "events": len(r.events)} for r in requests]}
    if as_json:
        print_json(data)
        return
    console.print(f"campaign {c.name} (group {c.group}), created {c.created:%Y-%m-%d %H:%M} UTC")
    console.print(f"template: {c.template or 'shipped request letter'}")
    for key, value in c.variables.items():
        console.print(f"  {key} = {value}")
    table = Table()
    for col in ("reference", "force", "regime", "email"):
        table.add_column(col)
    for r in requests:
        table.add_row(r.reference, r.force.name, r.force.regime, r.email or "-")
    console.print(table)
