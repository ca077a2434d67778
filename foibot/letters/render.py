"""Letters: Jinja2 templates rendered strictly, one letter per force.

Templates use ``StrictUndefined``: a variable that is not defined fails before anything is
sent, and the error names the template, the line and the variable. Each letter kind has a body
template ``<kind>.txt.j2`` and a subject template ``<kind>.subject.j2``. A campaign may use its
own template file or directory; the shipped ones fill any gap.
"""

from __future__ import annotations

import traceback
from dataclasses import dataclass
from datetime import date
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping

from foibot.errors import TemplateError
from foibot.registry import ACTS, Force
from foibot.settings import Sender

if TYPE_CHECKING:   # jinja2 is imported when letters are first rendered
    import jinja2

SHORT_ACTS = {"foia": "FOIA 2000", "foisa": "FOISA 2002"}
LETTER_KINDS = ("request", "chaser", "clarify", "review", "ico", "sic")


def shipped_templates_dir() -> Path:
    """``templates/`` of the source tree, or its copy inside an installed wheel."""
    packaged = Path(str(resources.files("foibot"))) / "_templates"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[2] / "templates"


@dataclass(frozen=True)
class Letter:
    kind: str
    subject: str
    body: str


def long_date(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


class Letters:
    """Renders letters from a campaign's templates (falling back to the shipped ones)."""

    def __init__(self, template: str | Path | None = None) -> None:
        dirs: list[str] = []
        self.request_name = "request.txt.j2"
        if template is not None:
            path = Path(template).expanduser()
            if path.is_dir():
                dirs.append(str(path))
            elif path.is_file():
                dirs.append(str(path.parent))
                self.request_name = path.name
            else:
                raise TemplateError(f"{path}: template not found")
        dirs.append(str(shipped_templates_dir()))
        import jinja2

        self.env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(dirs),
            undefined=jinja2.StrictUndefined,
            keep_trailing_newline=True,
            autoescape=False,
        )
        self.env.filters["long_date"] = long_date

    def template_names(self, kind: str) -> tuple[str, str]:
        body = self.request_name if kind == "request" else f"{kind}.txt.j2"
        stem = body.removesuffix(".j2").removesuffix(".txt")
        return body, f"{stem}.subject.j2"

    def render(self, kind: str, context: Mapping[str, Any]) -> Letter:
        body_name, subject_name = self.template_names(kind)
        body = self._render(body_name, context)
        subject = " ".join(self._render(subject_name, context).split())
        if not subject:
            raise TemplateError(f"{subject_name}: the subject line is empty")
        return Letter(kind=kind, subject=subject, body=body.strip("\n") + "\n")

    def check(self, kind: str) -> None:
        """Compile both templates of ``kind`` so syntax errors surface before sending."""
        for name in self.template_names(kind):
            self._get(name)

    def _get(self, name: str) -> jinja2.Template:
        import jinja2

        try:
            return self.env.get_template(name)
        except jinja2.TemplateNotFound:
            raise TemplateError(f"{name}: template not found") from None
        except jinja2.TemplateSyntaxError as exc:
            raise TemplateError(f"{exc.name or name} line {exc.lineno}: {exc.message}") from None
        except UnicodeDecodeError:
            raise TemplateError(f"{name}: not UTF-8 text") from None
        except OSError as exc:
            raise TemplateError(f"{name}: cannot read: {exc.strerror}") from None

    def _render(self, name: str, context: Mapping[str, Any]) -> str:
        import jinja2

        template = self._get(name)
        try:
            return template.render(context)
        except jinja2.UndefinedError as exc:
            line = _template_line(exc, template.filename or name)
            where = f"{name} line {line}" if line else name
            raise TemplateError(f"{where}: undefined variable: {_undefined_name(exc)}") from None
        except jinja2.TemplateError as exc:
            raise TemplateError(f"{name}: {exc}") from None
        except Exception as exc:  # noqa: BLE001 - a user's template can fail in any way
            line = _template_line(exc, template.filename or name)
            where = f"{name} line {line}" if line else name
            raise TemplateError(f"{where}: {type(exc).__name__}: {exc}") from None


def _template_line(exc: BaseException, filename: str) -> int | None:
    line = None
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename == filename:
            line = frame.lineno
    return line


def _undefined_name(exc: jinja2.UndefinedError) -> str:
    text = str(exc)
    # "'question' is undefined" / "'dict object' has no attribute 'x'"
    if text.endswith(" is undefined"):
        return text.removesuffix(" is undefined").strip("'")
    return text


def context(
    *,
    force: Force,
    sender: Sender,
    reference: str,
    today: date,
    variables: Mapping[str, str],
    campaign: str,
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """What every letter template can use: the campaign's variables at top level, plus
    ``force``, ``act`` (the Act this force must be cited: FOISA 2002 for Police Scotland),
    ``sender``, ``reference`` and ``today``."""
    ctx: dict[str, Any] = dict(variables)
    ctx.update(
        vars=dict(variables),
        campaign=campaign,
        force={"id": force.id, "name": force.name, "regime": force.regime, "nation": force.nation},
        act=ACTS[force.regime],
        act_short=SHORT_ACTS[force.regime],
        regime=force.regime,
        sender={"name": sender.name, "address": sender.address,
                "postal_address": sender.postal_address, "signature": sender.signature},
        reference=reference,
        today=long_date(today),
        today_iso=today.isoformat(),
    )
    if extra:
        ctx.update(extra)
    return ctx
