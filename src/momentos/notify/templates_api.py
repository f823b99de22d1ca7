"""Thin routes of notification templates: the organization's overrides (list, put, delete) and previews of a
template (stored or draft) for the sample parameters or a given customer or process, in es or en."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request

from momentos.auth.deps import Admin, DbSession, reads
from momentos.customers import service as customers
from momentos.errors import NotFound
from momentos.kit.clock import utcnow
from momentos.kit.i18n import LANGUAGES
from momentos.kit.params import BigInt
from momentos.models import Customer, NotificationTemplate, Process
from momentos.notify import render, template_overrides
from momentos.notify.schemas import (
    TemplateCatalog,
    TemplateOverrideIn,
    TemplateOverrideRead,
    TemplatePreview,
)
from momentos.notify.template_sandbox import TemplateBudget
from momentos.policy.schemas import Channel

router = APIRouter(prefix="/api/v1/notification-templates", tags=["notify"])
Lang = Annotated[str, Query(pattern="^(es|en)$")]
PathLang = Annotated[str, Path(pattern="^(es|en)$")]
MomentKey = Annotated[str, Query(max_length=64)]
ChannelKey = Annotated[str, Query(max_length=32)]


def _budget(request: Request) -> TemplateBudget:
    return TemplateBudget.of(request.app.state.settings.notify)


def _read(row: NotificationTemplate) -> TemplateOverrideRead:
    return TemplateOverrideRead.model_validate(row, from_attributes=True)


@router.get("")
def catalog(p: Admin, session: DbSession) -> TemplateCatalog:
    """The purposes that have templates, the variables templates may use, and the organization's overrides."""
    return TemplateCatalog(purposes=list(render.PURPOSE_TEMPLATES), variables=dict(render.VARIABLES),
                           overrides=[_read(r) for r in template_overrides.list_overrides(session, p.org_id)])


@router.put("/{purpose}/{language}")
def put_override(purpose: str, language: PathLang, data: TemplateOverrideIn, p: Admin, session: DbSession,
                 request: Request, moment: MomentKey = render.ANY,
                 channel: ChannelKey = render.ANY) -> TemplateOverrideRead:
    """Store the organization's text for a purpose and language (``moment``/``channel``: ``*`` = any), once it
    renders within the template budget (else 422 ``template_too_costly``)."""
    row = template_overrides.put_override(session, p.org_id, purpose, moment, channel, language,
                                          subject=data.subject, body=data.body, html=data.html, now=utcnow(),
                                          budget=_budget(request), actor=p.actor)
    return _read(row)


@router.delete("/{purpose}/{language}", status_code=204)
def delete_override(purpose: str, language: PathLang, p: Admin, session: DbSession, moment: MomentKey = render.ANY,
                    channel: ChannelKey = render.ANY) -> None:
    """Back to the packaged default."""
    template_overrides.delete_override(session, p.org_id, purpose, moment, channel, language, actor=p.actor)


@router.get("/{purpose}/preview")
def preview(purpose: str, p: Admin, session: DbSession, request: Request, lang: str | None = None,
            moment: str | None = None, channel: Channel | None = None, customer: str | None = None,
            process_id: BigInt | None = None) -> TemplatePreview:
    """Render what would be sent: the override or packaged default, for the sample parameters or for a real
    customer (``customer``: external id) or process."""
    now = utcnow()
    found = customers.get_customer(session, p.org_id, customer) if customer else None
    process = None
    if process_id is not None:
        process = session.get(Process, process_id)
        if process is None or process.org_id != p.org_id:
            raise NotFound("Process not found.", code="process_not_found", detail={"process_id": process_id})
        found = found or session.get_one(Customer, process.customer_id)
    known = found.language if found else None
    language = next((x for x in (lang, known) if x in LANGUAGES), LANGUAGES[0])
    params = template_overrides.preview_params(session, p.org_id, found, process, now,
                                               request.app.state.settings.public_url)
    if purpose == "message":
        rendered = render.render_packaged("message", language, params)
    else:
        rendered = render.render_notification(session, p.org_id, purpose, moment or (
            process.current_moment if process else None), channel, language, params, budget=_budget(request))
    return TemplatePreview(template=purpose, language=language, subject=rendered.subject, text=rendered.text,
                           html=rendered.html, source=rendered.source)


@router.post("/{purpose}/preview")
@reads
def preview_draft(purpose: str, data: TemplateOverrideIn, p: Admin, request: Request,
                  lang: Lang = "es") -> TemplatePreview:
    """Check and render a draft override with the sample parameters (nothing is stored), within the template
    budget (422 ``template_too_costly``; 400 ``template_tag_forbidden`` for include/import/extends)."""
    if purpose not in render.PURPOSE_TEMPLATES:
        raise NotFound("Template not found.", code="template_not_found", detail={"purpose": purpose})
    rendered = render.validate_override(purpose, data.subject, data.body, data.html, lang, budget=_budget(request),
                                        org_id=p.org_id)
    return TemplatePreview(template=purpose, language=lang, subject=rendered.subject, text=rendered.text,
                           html=rendered.html, source="draft")
