"""Write logic for checklists: templates (built-in sync, Markdown import, binding items to checks),
applying them to repositories, attestations, waivers, notes, and the stored states and snapshots."""

from __future__ import annotations

import logging
from datetime import date, datetime
from pathlib import Path

from django.db import IntegrityError, transaction
from django.db.models import Max, Q
from django.utils import timezone

from readiness.checklists import status as item_status
from readiness.checklists.models import (
    AppliedChecklist,
    Attestation,
    ChecklistSnapshot,
    ChecklistTemplate,
    ItemNote,
    TemplateItem,
    Waiver,
)
from readiness.checklists.template_format import Template, TemplateError, load_builtin_templates
from readiness.checklists.template_markdown import template_from_markdown
from readiness.repos.models import AnalysisRun, CheckResult, RunStatus
from readiness.teams.activity import activity_record

logger = logging.getLogger(__name__)

DEFAULT_TEMPLATE_SLUG = "production-readiness-complete"
EXCERPT_CONTEXT = 2  # lines shown before and after an evidence line
EXCERPT_MAX_LINE_CHARS = 240
EXCERPT_MAX_FILE_BYTES = 2 * 1024 * 1024
EXCERPT_MAX_PLACES = 400


class ChecklistError(ValueError):
    """A request that cannot be carried out; the message is for the user."""


# Templates -----------------------------------------------------------------------------------


def _store_template(
    template: Template, *, team=None, template_model=ChecklistTemplate, item_model=TemplateItem
):
    row = template_model.objects.create(
        team=team,
        slug=template.slug,
        title=template.title,
        version=template.version,
        description=template.description,
        sources=[vars(ref) for ref in template.sources],
        is_builtin=team is None,
        is_current=True,
    )
    position = 0
    rows = []
    for category in template.categories:
        for item in category.items:
            position += 1
            rows.append(
                item_model(
                    template=row,
                    category_id=category.id,
                    category_title=category.title,
                    position=position,
                    key=item.id,
                    title=item.title,
                    level=item.level,
                    checks=list(item.checks),
                    combine=item.combine,
                    manual=not item.checks,
                    reattest_days=item.reattest_days,
                    evidence_required=item.evidence_required,
                    fix=item.fix,
                    sources=[vars(source) for source in item.sources],
                )
            )
    item_model.objects.bulk_create(rows)
    return row


def builtin_templates_sync(
    *, template_model=ChecklistTemplate, item_model=TemplateItem, applied_model=None
) -> int:
    """Store the built-in YAML templates; idempotent. A version bump adds a new row set and moves
    repositories to it; older versions stay (snapshots point at them). Returns how many were added.

    The model classes are parameters so the data migration can pass its historical models.
    """
    if applied_model is None and template_model is ChecklistTemplate:
        applied_model = AppliedChecklist
    added = 0
    with transaction.atomic():
        for template in load_builtin_templates():
            existing = template_model.objects.filter(team__isnull=True, slug=template.slug)
            if existing.filter(version=template.version).exists():
                continue
            if existing.filter(version__gt=template.version).exists():
                continue  # never go back to an older version
            row = _store_template(template, template_model=template_model, item_model=item_model)
            older = list(existing.exclude(pk=row.pk).filter(is_current=True))
            existing.exclude(pk=row.pk).update(is_current=False)
            if applied_model is not None and older:
                applied_model.objects.filter(template__in=older).update(template=row)
            added += 1
    return added


def template_import_markdown(*, team, title: str, markdown: str, actor=None) -> ChecklistTemplate:
    """A team's custom template from a pasted Markdown checklist (manual items, bound later)."""
    try:
        template = template_from_markdown(markdown, title=title)
    except TemplateError as exc:
        raise ChecklistError(str(exc)) from None
    taken = set(
        ChecklistTemplate.objects.filter(Q(team=team) | Q(team__isnull=True)).values_list("slug", flat=True)
    )
    slug, n = template.slug, 2
    while slug in taken:
        slug, n = f"{template.slug}-{n}", n + 1
    template = Template(
        slug=slug,
        title=template.title,
        version=1,
        categories=template.categories,
        description=template.description,
        sources=template.sources,
    )
    with transaction.atomic():
        stored = _store_template(template, team=team)
        activity_record(
            team=team, actor=actor, verb="template.changed", target=stored.title, action="imported"
        )
        return stored


def template_item_bind(
    *, item: TemplateItem, checks: list[str], combine: str, level: str, actor=None
) -> TemplateItem:
    """Bind a custom template's item to checks (automated) or unbind it (manual). Built-ins are data
    in the repository: they change by a new YAML version, not here."""
    if item.template.is_builtin:
        raise ChecklistError("Built-in templates change through their YAML file, not in the browser.")
    if combine not in ("all", "any"):
        raise ChecklistError("Combine must be 'all' or 'any'.")
    if level not in item_status.LEVELS:
        raise ChecklistError("Level must be bronze, silver or gold.")
    item.checks = list(dict.fromkeys(checks))
    item.combine = combine
    item.level = level
    item.manual = not item.checks
    item.save(update_fields=["checks", "combine", "level", "manual"])
    activity_record(
        team=item.template.team,
        actor=actor,
        verb="template.changed",
        target=f"{item.template.title}: {item.title}",
        checks=item.checks,
        level=level,
    )
    for applied in AppliedChecklist.objects.filter(template=item.template).select_related("repository"):
        checklist_states_refresh(repository=applied.repository)
    return item


def template_get_default() -> ChecklistTemplate:
    template = ChecklistTemplate.objects.filter(
        team__isnull=True, slug=DEFAULT_TEMPLATE_SLUG, is_current=True
    ).first()
    if template is None:
        builtin_templates_sync()
        template = ChecklistTemplate.objects.get(
            team__isnull=True, slug=DEFAULT_TEMPLATE_SLUG, is_current=True
        )
    return template


# Applying ------------------------------------------------------------------------------------


def checklist_apply(*, repository, template: ChecklistTemplate, user=None) -> AppliedChecklist:
    """Apply a template to a repository (idempotent); the first one applied is the primary one."""
    if template.team_id is not None and template.team_id != repository.team_id:
        raise ChecklistError("That template belongs to another team.")
    with transaction.atomic():
        applied = AppliedChecklist.objects.filter(repository=repository, template__slug=template.slug).first()
        if applied is not None:
            return applied
        primary = not AppliedChecklist.objects.filter(repository=repository, primary=True).exists()
        try:
            with transaction.atomic():
                applied = AppliedChecklist.objects.create(
                    repository=repository, template=template, applied_by=user, primary=primary
                )
        except IntegrityError:
            return AppliedChecklist.objects.get(repository=repository, template=template)
    checklist_states_refresh(repository=repository)
    if user is not None:
        activity_record(
            team=repository.team,
            actor=user,
            verb="checklist.applied",
            target=f"{repository.name}: {template.title}",
        )
    applied.refresh_from_db()
    return applied


def checklist_apply_default(*, repository, user=None) -> AppliedChecklist:
    """New repositories start with "Production readiness (complete)"."""
    return checklist_apply(repository=repository, template=template_get_default(), user=user)


def checklist_remove(*, applied: AppliedChecklist) -> None:
    with transaction.atomic():
        repository, was_primary = applied.repository, applied.primary
        applied.delete()
        if was_primary:
            successor = (
                AppliedChecklist.objects.filter(repository=repository).order_by("applied_at", "id").first()
            )
            if successor is not None:
                successor.primary = True
                successor.save(update_fields=["primary"])


# What engineers and leads record --------------------------------------------------------------


def _current_item(repository, template_slug: str, item_key: str) -> TemplateItem:
    item = (
        TemplateItem.objects.select_related("template")
        .filter(
            template__applications__repository=repository,
            template__slug=template_slug,
            key=item_key,
        )
        .first()
    )
    if item is None:
        raise ChecklistError("That item is not on a checklist of this repository.")
    return item


def _current_attestation(repository, template_slug: str, item_key: str) -> Attestation | None:
    return (
        Attestation.objects.filter(repository=repository, template_slug=template_slug, item_key=item_key)
        .order_by("-id")
        .first()
    )


def attestation_record(
    *,
    repository,
    template_slug: str,
    item_key: str,
    checked: bool,
    user,
    evidence_url: str = "",
    note: str = "",
) -> Attestation:
    """Tick or untick a manual item; who and when are recorded, nothing is overwritten."""
    item = _current_item(repository, template_slug, item_key)
    if not item.manual:
        raise ChecklistError("Automated items follow their checks; only manual items are ticked.")
    if checked and item.evidence_required and not evidence_url:
        raise ChecklistError("This item needs an evidence link (a runbook, a ticket, a report).")
    now = timezone.now()
    attestation = Attestation.objects.create(
        repository=repository,
        template_slug=template_slug,
        item_key=item_key,
        checked=checked,
        by=user,
        recorded_at=now,
        at=now,
        evidence_url=evidence_url,
        note=note[:500],
    )
    checklist_states_refresh(repository=repository)
    activity_record(
        team=repository.team,
        actor=user,
        verb="item.ticked" if checked else "item.unticked",
        target=f"{repository.name}: {item.title}",
        evidence_url=evidence_url,
    )
    return attestation


def attestation_undo(*, repository, template_slug: str, item_key: str, user) -> Attestation:
    """Revert an item to the state before its latest attestation (appending, never deleting)."""
    _current_item(repository, template_slug, item_key)
    rows = list(
        Attestation.objects.filter(
            repository=repository, template_slug=template_slug, item_key=item_key
        ).order_by("-id")[:2]
    )
    if not rows:
        raise ChecklistError("Nothing to undo.")
    previous = rows[1] if len(rows) > 1 else None
    now = timezone.now()
    attestation = Attestation.objects.create(
        repository=repository,
        template_slug=template_slug,
        item_key=item_key,
        checked=previous.checked if previous else False,
        by=user,
        recorded_at=now,
        at=previous.at if previous else now,
        evidence_url=previous.evidence_url if previous else "",
        note="undo",
        is_undo=True,
    )
    checklist_states_refresh(repository=repository)
    activity_record(
        team=repository.team, actor=user, verb="item.undone", target=f"{repository.name}: {item_key}"
    )
    return attestation


def waiver_grant(
    *, repository, template_slug: str, item_key: str, reason: str, expires_on: date, user
) -> Waiver:
    """A lead's waiver: the item is left out of scores until ``expires_on`` (inclusive)."""
    _current_item(repository, template_slug, item_key)
    reason = reason.strip()
    if not reason:
        raise ChecklistError("A waiver needs a reason.")
    if expires_on < timezone.localdate():
        raise ChecklistError("The expiry date is in the past.")
    now = timezone.now()
    with transaction.atomic():
        Waiver.objects.filter(
            repository=repository, template_slug=template_slug, item_key=item_key, revoked_at__isnull=True
        ).update(revoked_at=now, revoked_by=user)
        waiver = Waiver.objects.create(
            repository=repository,
            template_slug=template_slug,
            item_key=item_key,
            reason=reason,
            expires_on=expires_on,
            granted_by=user,
            created_at=now,
        )
    checklist_states_refresh(repository=repository)
    activity_record(
        team=repository.team,
        actor=user,
        verb="item.waived",
        target=f"{repository.name}: {item_key}",
        reason=reason,
        expires_on=expires_on.isoformat(),
    )
    return waiver


def waiver_revoke(*, repository, template_slug: str, item_key: str, user) -> int:
    now = timezone.now()
    count = Waiver.objects.filter(
        repository=repository, template_slug=template_slug, item_key=item_key, revoked_at__isnull=True
    ).update(revoked_at=now, revoked_by=user)
    checklist_states_refresh(repository=repository)
    if count:
        activity_record(
            team=repository.team, actor=user, verb="waiver.revoked", target=f"{repository.name}: {item_key}"
        )
    return count


def note_add(*, repository, template_slug: str, item_key: str, text: str, user) -> ItemNote:
    _current_item(repository, template_slug, item_key)
    text = text.strip()
    if not text:
        raise ChecklistError("A note cannot be empty.")
    note = ItemNote.objects.create(
        repository=repository,
        template_slug=template_slug,
        item_key=item_key,
        text=text[:4000],
        author=user,
        created_at=timezone.now(),
    )
    activity_record(
        team=repository.team,
        actor=user,
        verb="item.noted",
        target=f"{repository.name}: {item_key}",
        obj=note,
        text=text[:200] + ("…" if len(text) > 200 else ""),
    )
    return note


# States and snapshots -------------------------------------------------------------------------


def facts_for_repository(*, repository, at: datetime | None = None, run: AnalysisRun | None = None) -> dict:
    """What item statuses are computed from, as of ``at`` (now by default): check statuses of
    ``run`` (default: the latest succeeded run), current attestations and waivers per (slug, key)."""
    if run is None:
        runs = AnalysisRun.objects.filter(repository=repository, status=RunStatus.SUCCEEDED)
        if at is not None:
            runs = runs.filter(finished_at__lte=at)
        run = runs.order_by("-finished_at", "-id").first()
    check_statuses = None
    if run is not None:
        check_statuses = dict(CheckResult.objects.filter(run=run).values_list("check_id", "status"))
    attestation_rows = Attestation.objects.filter(repository=repository)
    waiver_rows = Waiver.objects.filter(repository=repository)
    if at is not None:
        attestation_rows = attestation_rows.filter(recorded_at__lte=at)
        waiver_rows = waiver_rows.filter(created_at__lte=at).filter(
            Q(revoked_at__isnull=True) | Q(revoked_at__gt=at)
        )
    else:
        waiver_rows = waiver_rows.filter(revoked_at__isnull=True)
    latest_ids = attestation_rows.values("template_slug", "item_key").annotate(last=Max("id")).values("last")
    attestations = {
        (a.template_slug, a.item_key): item_status.AttestationFact(a.checked, a.at)
        for a in Attestation.objects.filter(id__in=latest_ids)
    }
    waivers = {}
    for w in waiver_rows.order_by("created_at", "id"):
        waivers[(w.template_slug, w.item_key)] = item_status.WaiverFact(w.expires_on, None)
    return {"run": run, "check_statuses": check_statuses, "attestations": attestations, "waivers": waivers}


def _state_for(template: ChecklistTemplate, items, facts: dict, now: datetime) -> dict:
    slug = template.slug
    return item_status.checklist_state(
        items,
        check_statuses=facts["check_statuses"],
        attestations={key: f for (s, key), f in facts["attestations"].items() if s == slug},
        waivers={key: f for (s, key), f in facts["waivers"].items() if s == slug},
        now=now,
    )


def checklist_states_refresh(*, repository, now: datetime | None = None) -> list[AppliedChecklist]:
    """Recompute and store the live state of every checklist applied to the repository."""
    now = now or timezone.now()
    applied_list = list(
        AppliedChecklist.objects.filter(repository=repository)
        .select_related("template")
        .prefetch_related("template__items")
    )
    if not applied_list:
        return []
    facts = facts_for_repository(repository=repository)
    for applied in applied_list:
        state = _state_for(applied.template, applied.template.items.all(), facts, now)
        applied.state = state
        applied.overall = state["overall"]
        applied.level = state["level"]
        applied.state_valid_until = (
            datetime.fromisoformat(state["valid_until"]) if state["valid_until"] else None
        )
        applied.state_updated_at = now
    AppliedChecklist.objects.bulk_update(
        applied_list, ["state", "overall", "level", "state_valid_until", "state_updated_at"]
    )
    return applied_list


def checklist_states_refresh_expired(*, team=None, now: datetime | None = None, limit: int = 500) -> int:
    """Recompute states in which an attestation fell due or a waiver expired. Cheap when none did."""
    now = now or timezone.now()
    stale = AppliedChecklist.objects.filter(state_valid_until__lte=now)
    if team is not None:
        stale = stale.filter(repository__team=team)
    repository_ids = list(stale.order_by().values_list("repository_id", flat=True).distinct()[:limit])
    from readiness.repos.models import Repository

    for repository in Repository.objects.filter(pk__in=repository_ids):
        checklist_states_refresh(repository=repository, now=now)
    return len(repository_ids)


def checklist_snapshots_for_run(*, run: AnalysisRun, templates=None) -> list[ChecklistSnapshot]:
    """Store each applied checklist's scores as of the run's end (idempotent per run and template)."""
    repository = run.repository
    at = run.finished_at or timezone.now()
    if templates is None:
        templates = [
            a.template
            for a in AppliedChecklist.objects.filter(repository=repository).select_related("template")
        ]
    facts = facts_for_repository(repository=repository, at=at, run=run)
    snapshots = []
    for template in templates:
        state = _state_for(template, template.items.all(), facts, at)
        snapshot, _ = ChecklistSnapshot.objects.get_or_create(
            run=run,
            template=template,
            defaults={
                "repository": repository,
                "template_slug": template.slug,
                "data": state,
                "overall": state["overall"],
                "level": state["level"],
                "taken_at": at,
            },
        )
        snapshots.append(snapshot)
    return snapshots


def checklist_run_finished(*, run: AnalysisRun, excerpts: dict | None = None) -> None:
    """After a run is stored: file excerpts into its evidence, checklist snapshots, live states.

    Never fails the run: the run's own results are already committed; a problem here is logged.
    """
    try:
        if run.status != RunStatus.SUCCEEDED:
            return
        if excerpts:
            _attach_excerpts(run, excerpts)
        checklist_snapshots_for_run(run=run)
        checklist_states_refresh(repository=run.repository)
    except Exception:
        logger.exception("checklist update after run %s failed", run.pk)


# Evidence excerpts ----------------------------------------------------------------------------


def _read_excerpt(root: Path, relative: str, line: int) -> dict | None:
    try:
        path = (root / relative).resolve()
        if not path.is_relative_to(root.resolve()) or not path.is_file() or path.is_symlink():
            return None
        if path.stat().st_size > EXCERPT_MAX_FILE_BYTES:
            return None
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except (OSError, ValueError):
        return None
    if not 1 <= line <= len(lines):
        return None
    start = max(1, line - EXCERPT_CONTEXT)
    end = min(len(lines), line + EXCERPT_CONTEXT)
    return {"start": start, "lines": [text[:EXCERPT_MAX_LINE_CHARS] for text in lines[start - 1 : end]]}


def evidence_excerpts(*, report, root) -> dict:
    """``{"file:line": {"start", "lines"}}`` for the evidence of a report, read from the analysed
    folder before it is deleted (call inside the run's temporary-directory block)."""
    excerpts: dict = {}
    try:
        root = Path(root)
        for result in report.results:
            if str(result.status) in ("pass", "na"):
                continue
            for evidence in result.evidence:
                if len(excerpts) >= EXCERPT_MAX_PLACES:
                    return excerpts
                if not evidence.file or not evidence.line:
                    continue
                key = f"{evidence.file}:{evidence.line}"
                if key not in excerpts:
                    excerpt = _read_excerpt(root, evidence.file, int(evidence.line))
                    if excerpt:
                        excerpts[key] = excerpt
    except Exception:
        logger.exception("reading evidence excerpts failed")
    return excerpts


def _attach_excerpts(run: AnalysisRun, excerpts: dict) -> None:
    changed = []
    for result in CheckResult.objects.filter(run=run):
        touched = False
        for evidence in result.evidence:
            key = f"{evidence.get('file')}:{evidence.get('line')}"
            if key in excerpts and "excerpt" not in evidence:
                evidence["excerpt"] = excerpts[key]
                touched = True
        if touched:
            changed.append(result)
    CheckResult.objects.bulk_update(changed, ["evidence"])
