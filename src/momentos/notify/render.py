"""Notification texts: one function renders any outbound message, by (organization, purpose, moment, channel,
language, parameters).

Other features (status notices, promises, surveys, marketing) call :func:`render_notification`::

    rendered = render_notification(session, org_id, "promise", "delivery", "email", "es",
                                   {"promise_name": {"es": "Entrega en 48 h", "en": "Delivery in 48 h"}, ...})
    rendered.subject, rendered.text, rendered.html   # html only when an override gives one (e-mail)

Where the text comes from, most specific first:

1. the organization's override (``notification_templates``) for the purpose and language, with the moment and
   channel matched exactly before ``*`` (any): (moment, channel), (moment, *), (*, channel), (*, *);
2. the packaged default ``templates/<purpose>.<moment>.txt``, then ``templates/<purpose>.txt`` (Jinja, texts
   translated through the Babel message catalogs; first line = subject).

Parameters: see :data:`VARIABLES`; a value may be a ``{"es": …, "en": …}`` mapping, and the language's text is
used. Overrides are Jinja run in the budgeted sandbox (``notify.template_sandbox``: bounded output, loop
iterations, string and list sizes and time; HTML autoescaped), checked when stored (:func:`validate_override`) under
the same budget the worker renders with; one that fails at send time falls back to the packaged default, one that
exceeds the budget fails that message (``template_too_costly``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, TemplateNotFound
from sqlalchemy import select
from sqlalchemy.orm import Session

from momentos.errors import MomentosError, NotFound, ValidationFailed
from momentos.kit import i18n
from momentos.kit.i18n import LANGUAGES
from momentos.models import NotificationTemplate
from momentos.notify.template_sandbox import (
    TemplateBudget,
    TemplateTagForbidden,
    TemplateTooCostly,
    one_budget,
    organization_slot,
    render_budgeted,
)

log = logging.getLogger("momentos.notify")

PURPOSE_TEMPLATES: tuple[str, ...] = ("status", "promise", "survey", "marketing", "transactional")
PROMISE_TEMPLATES: tuple[str, ...] = ("promise_announce", "promise_at_risk", "promise_broken", "promise_kept",
                                      "staff_alert")
TEMPLATES: tuple[str, ...] = (*PURPOSE_TEMPLATES, "message", *PROMISE_TEMPLATES, "listening_alert")
"""Packaged templates: one per purpose, ``message`` (a caller's own subject and text, not overridable), the
promise notices (``promises/notices.py``) and the early-warning alert (``listening/early_warning.py``)."""
ANY = "*"
MAX_OUTPUT = 20_000

VARIABLES: Mapping[str, str] = {
    "org_name": "The organization's name",
    "customer_name": "The customer's name (may be empty)",
    "service_name": "The service of the process",
    "moment_name": "The moment the process is in",
    "next_name": "The moment that usually comes next (may be empty)",
    "status_url": "The link to the process's status page",
    "subject": "A subject given by the caller (marketing, transactional)",
    "text": "A text given by the caller",
    "promise_name": "The promise (promise notices)",
    "due_date": "When the promise is due (promise notices)",
    "survey_url": "The link to the survey (survey invitations)",
    "promise_key": "The promise's key (promise notices)",
    "promise_text": "What was promised, in the customer's language (promise notices)",
    "due": "When the promise is due, in the customer's time zone (promise notices)",
    "estimate": "The new estimate when a promise is at risk",
    "broken_at": "When the promise was broken",
    "recovery": "The apology and offer of a broken promise",
    "instance_id": "The promise instance (staff alerts)",
    "promises": "The promises that apply, each with text and due (promise announcements)",
    "survey_title": "The survey's title (survey invitations)",
    "scope_name": "The service or organization an early warning is about",
    "started_at": "When an early-warning episode started",
    "count": "Mentions in the alarm hour (early warning)",
    "negatives": "Negative mentions in the alarm hour (early warning)",
    "expected": "Negative mentions expected in that hour (early warning)",
    "baseline_share": "The usual share of negative mentions, in percent (early warning)",
    "examples": "Example comments (early warning)",
}
"""Every variable a template may use; the ones a notice does not have are empty."""

SAMPLE: Mapping[str, Any] = {
    "org_name": "Momentos", "customer_name": "Ana",
    "service_name": {"es": "Tienda en línea", "en": "Online shop"},
    "moment_name": {"es": "Entrega y prestación", "en": "Delivery"},
    "next_name": {"es": "Uso y experiencia", "en": "Use"},
    "status_url": "https://momentos.example/s/sample",
    "subject": {"es": "Novedades de tu pedido", "en": "News about your order"},
    "text": {"es": "Tu pedido está en camino.", "en": "Your order is on its way."},
    "promise_name": {"es": "Entrega en 48 horas", "en": "Delivery within 48 hours"},
    "due_date": "2026-03-06", "survey_url": "https://momentos.example/survey/sample",
    "promise_key": "delivered-in-2-days",
    "promise_text": {"es": "Tu pedido llega en 2 días", "en": "Your order arrives within 2 days"},
    "due": {"es": "4 mar 2026, 9:00", "en": "Mar 4, 2026, 9:00 AM"},
    "estimate": {"es": "5 mar 2026, 13:00", "en": "Mar 5, 2026, 1:00 PM"},
    "broken_at": {"es": "4 mar 2026, 9:00", "en": "Mar 4, 2026, 9:00 AM"},
    "recovery": {"es": "Lo sentimos: te devolvemos el envío.", "en": "We are sorry: we refund the shipping."},
    "instance_id": 1,
    "promises": [{"text": "Your order arrives within 2 days", "due": "Mar 4, 2026, 9:00 AM"}],
    "survey_title": {"es": "¿Qué tal fue?", "en": "How did it go?"},
    "scope_name": {"es": "Tienda en línea", "en": "Online shop"}, "started_at": "2026-03-02 10:00", "count": 40,
    "negatives": 31, "expected": 3, "baseline_share": 12, "examples": ["…"],
}
"""Sample parameters for previews and for checking overrides."""


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str | None
    source: str
    """``override:<id>`` or ``packaged:<file>``: where the text came from."""


def localize(params: Mapping[str, Any], lang: str) -> dict[str, Any]:
    """Bilingual values ({"es": …, "en": …}) become the language's text (or the first one given)."""
    return {k: (v.get(lang) or next(iter(v.values()), "")) if isinstance(v, Mapping) else v
            for k, v in params.items()}


def _translator(lang: str) -> Callable[..., str]:
    def _(message: str, /, **variables: Any) -> str:
        text = i18n.gettext(lang, message)
        return text % variables if variables else text
    return _


@cache
def packaged_environment() -> Environment:
    return Environment(loader=PackageLoader("momentos.notify", "templates"), autoescape=False,  # noqa: S701 - text
                       undefined=StrictUndefined, keep_trailing_newline=True, trim_blocks=True, auto_reload=False)


def _split(text: str) -> tuple[str, str]:
    subject, _, body = text.strip("\n").partition("\n")
    lines = body.strip("\n").splitlines()
    return subject.strip(), "\n".join(line.rstrip() for line in lines) + "\n"


def _language(lang: str) -> str:
    return lang if lang in LANGUAGES else LANGUAGES[0]


def _context(params: Mapping[str, Any], lang: str) -> dict[str, Any]:
    return {**dict.fromkeys(VARIABLES, ""), **localize(params, lang)}


def render_packaged(name: str, lang: str, params: Mapping[str, Any], moment: str | None = None) -> Rendered:
    """A packaged template (``<name>.<moment>.txt`` when it exists, else ``<name>.txt``) in es or en."""
    lang = _language(lang)
    env = packaged_environment()
    candidates = ([f"{name}.{moment}.txt"] if moment else []) + [f"{name}.txt"]
    for file in candidates:
        if name not in TEMPLATES:
            break
        try:
            template = env.get_template(file)
        except TemplateNotFound:
            continue
        subject, text = _split(template.render(_context(params, lang), _=_translator(lang)))
        return Rendered(subject, text, None, f"packaged:{file}")
    raise NotFound(f"Template '{name}' not found.", code="template_not_found", detail={"name": name})


def overrides_of(session: Session, org_id: int) -> list[NotificationTemplate]:
    """The organization's overrides (read once per worker batch when ``session.info`` has a
    ``notify.templates`` dict)."""
    cache_: dict[int, list[NotificationTemplate]] | None = session.info.get("notify.templates")
    if cache_ is not None and org_id in cache_:
        return cache_[org_id]
    rows = list(session.scalars(select(NotificationTemplate).where(NotificationTemplate.org_id == org_id)
                                .order_by(NotificationTemplate.id)))
    if cache_ is not None:
        cache_[org_id] = rows
    return rows


def find_override(rows: list[NotificationTemplate], purpose: str, moment: str | None, channel: str | None,
                  lang: str) -> NotificationTemplate | None:
    found = {(r.moment, r.channel): r for r in rows if r.purpose == purpose and r.language == lang}
    for key in ((moment, channel), (moment, ANY), (ANY, channel), (ANY, ANY)):
        if key in found:
            return found[key]
    return None


BUDGET_KEY = "notify.budget"
"""``session.info`` key of the :class:`TemplateBudget` a worker batch renders with (``notify.tasks``)."""


COSTLY_KEY = "notify.costly_templates"
"""``session.info`` key of the overrides that went over the budget in this session (a worker batch renders each
such override once: the next messages using it fail at once, so a batch costs at most one budget per override)."""


def budget_of(session: Session) -> TemplateBudget:
    """The budget set on the session by the worker, else the default one."""
    budget = session.info.get(BUDGET_KEY)
    return budget if isinstance(budget, TemplateBudget) else TemplateBudget()


def render_override(row: NotificationTemplate, params: Mapping[str, Any], *, strict: bool = False,
                    budget: TemplateBudget | None = None) -> Rendered:
    """An override in the budgeted sandbox (subject and body as text, the HTML body autoescaped), the three parts
    under one ``budget``. Raises ``TemplateTooCostly`` / ``TemplateTagForbidden`` (domain errors) or the template's
    own error."""
    budget = budget or TemplateBudget()
    context = _context(params, row.language)
    with one_budget(budget), organization_slot(row.org_id):
        subject = render_budgeted(budget, row.subject, context, strict=strict)
        body = render_budgeted(budget, row.body, context, strict=strict)
        html = render_budgeted(budget, row.html, context, html=True, strict=strict) if row.html else None
    if len(body) + len(html or "") > MAX_OUTPUT:
        raise ValidationFailed("The rendered template is too long.", code="template_too_long",
                               detail={"limit": MAX_OUTPUT})
    return Rendered(" ".join(subject.split()), _split("x\n" + body)[1], html, f"override:{row.id}")


def render_notification(session: Session, org_id: int, purpose: str, moment: str | None, channel: str | None,
                        lang: str, params: Mapping[str, Any], *, budget: TemplateBudget | None = None) -> Rendered:
    """The subject and text (and HTML, from an override) of a notice: the organization's override when one
    matches, else the packaged default. See the module docstring for the lookup order and the parameters.
    ``budget``: the override's budget (default: :func:`budget_of` the session); exceeding it raises
    ``TemplateTooCostly`` (the worker records it on the message) rather than falling back."""
    lang = _language(lang)
    row = find_override(overrides_of(session, org_id), purpose, moment, channel, lang)
    if row is not None:
        costly: dict[int, TemplateTooCostly] = session.info.setdefault(COSTLY_KEY, {})
        if row.id in costly:  # over the budget earlier in this batch: not rendered again
            raise costly[row.id]
        try:
            return render_override(row, params, budget=budget or budget_of(session))
        except TemplateTooCostly as exc:
            costly[row.id] = exc
            raise
        except TemplateTagForbidden:
            raise
        except Exception as exc:  # stored templates were checked; keep delivering anyway
            log.warning("template override %s failed (%s); using the packaged default", row.id, exc)
    return render_packaged(purpose, lang, params, moment)


def validate_override(purpose: str, subject: str, body: str, html: str | None, lang: str, *,
                      budget: TemplateBudget | None = None, org_id: int | None = None) -> Rendered:
    """Parse and render an override with the sample parameters in the budgeted sandbox (unknown variables, syntax
    errors, unsafe attribute access, loader tags and templates over ``budget`` are refused). Returns the sample
    rendering."""
    row = NotificationTemplate(id=0, org_id=org_id, purpose=purpose, moment=ANY, channel=ANY,
                               language=_language(lang), subject=subject, body=body, html=html)
    try:
        return render_override(row, SAMPLE, strict=True, budget=budget)
    except MomentosError:
        raise
    except Exception as exc:  # any error of a user's template (Jinja's, or 1/0 in it): invalid
        raise ValidationFailed("The template is not valid.", code="invalid_template",
                               detail={"error": f"{type(exc).__name__}: {exc}"[:500],
                                       "variables": sorted(VARIABLES)}) from exc
