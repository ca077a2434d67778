"""``foibot campaign create|list|show``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, List, Optional

import typer

from foibot.cli.common import console, load_app, parse_vars, print_json
from foibot.errors import ConfigError, UsageError

if TYPE_CHECKING:
    from foibot.settings import Sender

CAMPAIGN_KEYS = {"group": str, "template": str, "vars": dict}


def load_campaign_file(path: Path) -> dict[str, Any]:
    """A campaign described in TOML: ``group``, ``template`` (relative to the file) and
    ``[vars]`` (the template's variables, e.g. ``question``). Checked like the config."""
    import tomllib

    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise UsageError(f"{path}: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"{path.name}: not valid TOML: {exc}") from None
    for key, value in data.items():
        if key not in CAMPAIGN_KEYS:
            raise UsageError(f"{path.name}: {key}: unknown key (known: group, template, vars)")
        if not isinstance(value, CAMPAIGN_KEYS[key]):
            kind = "table" if key == "vars" else "string"
            raise UsageError(f"{path.name}: {key}: expected a {kind}")
    for key, value in data.get("vars", {}).items():
        if not isinstance(value, str):
            raise UsageError(f"{path.name}: [vars] {key}: expected a string")
    return data


campaign_app = typer.Typer(help="Create and inspect campaigns.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(campaign_app, name="campaign")


@campaign_app.command("create", short_help="Create a campaign: one request per force.")
def create(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="Short name, e.g. social-media-2026."),
    template: Optional[Path] = typer.Option(
        None, "--template", "-t", help="Request letter template file or directory."),
    group: str = typer.Option("default", "--group", "-g", help="Group of forces to ask."),
    var: Optional[List[str]] = typer.Option(
        None, "--var", help="Template variable KEY=VALUE (repeatable); `question` is required."),
    from_file: Optional[Path] = typer.Option(
        None, "--file", help="A campaign TOML file: group, template and a [vars] table."),
    as_json: bool = typer.Option(False, "--json", help="The requests made, as JSON."),
) -> None:
    """Create a campaign: one request, with its own reference, per force of the group."""
    from foibot.letters.render import Letters
    from foibot.letters.render import context as letter_context
    from foibot.timeutil import today

    app = load_app(ctx)
    variables: dict[str, str] = {}
    if from_file is not None:
        spec = load_campaign_file(from_file)
        group = spec.get("group", group)
        if spec.get("template") and template is None:
            template = (from_file.parent / spec["template"]).resolve()
        variables.update(spec.get("vars", {}))
    variables.update(parse_vars(var))
    letters = Letters(template.resolve() if template else None)
    forces = app.registry.group(group)
    if not forces:
        raise UsageError(f"group {group!r} has no forces left after the config's exclusions")
    # Render one letter now, so a missing variable is found before the campaign exists.
    sample = forces[0]
    letters.render("request", letter_context(
        force=sample, sender=_sender_or_placeholder(app),
        reference="FOI-00000", today=today(), variables=variables, campaign=name))
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


def _sender_or_placeholder(app: Any) -> Sender:
    """Creating a campaign needs no sender yet (sending does): check the template without."""
    from foibot.settings import Sender

    try:
        return app.config.sender
    except ConfigError:
        return Sender("Your Name", "you@example.org")


@campaign_app.command("list")
def list_(ctx: typer.Context,
          as_json: bool = typer.Option(False, "--json", help="A JSON list for scripts."),
          ) -> None:
    """List campaigns."""
    from foibot.timeutil import london

    app = load_app(ctx)
    rows = []
    for name in app.campaigns.names():
        c = app.campaigns.get(name)
        rows.append({"name": name, "created": london(c.created).isoformat(timespec="minutes"),
                     "group": c.group,
                     "requests": len(app.campaigns.requests(name))})
    if as_json:
        print_json(rows)
        return
    if not rows:
        console.print("no campaigns yet: foibot campaign create NAME --var question=...")
    for r in rows:
        console.print(f"{r['name']}\t{r['requests']} requests\tgroup {r['group']}\t"
                      f"created {r['created']}")


@campaign_app.command("show")
def show(ctx: typer.Context,
         name: str = typer.Argument(..., help="Campaign name."),
         as_json: bool = typer.Option(False, "--json", help="One JSON object for scripts."),
         ) -> None:
    """Show a campaign's settings and its requests."""
    from rich.table import Table

    from foibot.timeutil import london
    from foibot.views.board import campaign_name

    app = load_app(ctx)
    name = campaign_name(app, name)
    c = app.campaigns.get(name)
    requests = app.campaigns.requests(name)
    data = {**c.to_doc(), "requests": [
        {"reference": r.reference, "force": r.force.id, "name": r.force.name,
         "regime": r.force.regime, "email": r.email, "events": len(r.events)} for r in requests]}
    if as_json:
        print_json(data)
        return
    console.print(f"campaign {c.name} (group {c.group}), "
                  f"created {london(c.created):%Y-%m-%d %H:%M %Z}")
    console.print(f"template: {c.template or 'shipped request letter'}")
    for key, value in c.variables.items():
        console.print(f"  {key} = {value}")
    table = Table()
    for col in ("reference", "force", "regime", "email"):
        table.add_column(col)
    for r in requests:
        table.add_row(r.reference, r.force.name, r.force.regime, r.email or "-")
    console.print(table)
