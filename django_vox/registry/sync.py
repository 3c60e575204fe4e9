"""Keep Notification rows in step with the notifications declared in code."""

from dataclasses import dataclass, field

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils.text import capfirst

from django_vox.models import Notification
from django_vox.registry import objects

__all__ = ["SyncReport", "sync_notifications"]


@dataclass
class SyncReport:
    added: list = field(default_factory=list)
    altered: list = field(default_factory=list)
    removed: list = field(default_factory=list)
    kept: list = field(default_factory=list)  # gone from code but still has templates

    def lines(self):
        for verb, items in (("Added", self.added), ("Altered", self.altered),
                            ("Removed", self.removed)):
            for item in items:
                yield f"{verb} {item}"
        for item in self.kept:
            yield f"Kept {item}: no longer in code, but it still has templates"

    @property
    def changed(self):
        return bool(self.added or self.altered or self.removed)


def _ct(label, using):
    if not label:
        return None
    try:
        model = apps.get_model(label)
    except (LookupError, ValueError) as err:
        raise LookupError(f"Unknown model {label!r} in a notification declaration") from err
    return ContentType.objects.db_manager(using).get_for_model(model)


def declared_notifications():
    """Yield (model, declaration) for every registered notification."""
    for entry in objects:
        for declaration in entry.registration.get_notifications():
            yield entry.model, declaration


def _wanted(model, decl, using):
    """The field values the row of declaration ``decl`` should have."""
    return {
        "description": str(decl.description),
        "name": capfirst(str(decl.name) % {"model": model._meta.verbose_name} if decl.name
                         else str(decl.description)),
        "actor_type": _ct(decl.actor_type, using),
        "target_type": _ct(decl.target_type, using),
        "required": decl.required,
        "default_enabled": decl.default_enabled,
        "activity_type": decl.activity_type,
    }


def _sync_one(row, ct, name, decl, wanted, report, *, dry_run, using):
    """Add or alter the row of one declaration (``row`` None: there is none yet)."""
    manager = Notification.objects.using(using)
    if row is None:
        report.added.append(name)
        if not dry_run:
            manager.create(object_type=ct, codename=decl.codename, from_code=True, **wanted)
        return
    if row.name and row.name != wanted["name"] and row.name != capfirst(row.description):
        wanted = {**wanted, "name": row.name}  # an editor's name: kept
    changes = [k for k, v in wanted.items() if getattr(row, k) != v]
    if not row.from_code:
        changes.append("from_code")
    if not changes:
        return
    report.altered.append(f"{name} ({', '.join(changes)})")
    if not dry_run:
        for k, v in wanted.items():
            setattr(row, k, v)
        row.from_code = True
        row.save(using=using)


def _remove_gone(existing, seen, report, *, dry_run):
    """Remove rows no longer declared in code, unless they still have templates."""
    for key, row in existing.items():
        if key in seen:
            continue
        name = f"{row.object_type.app_label}.{row.object_type.model}.{row.codename}"
        if row.templates.exists():
            report.kept.append(name)
            continue
        report.removed.append(name)
        if not dry_run:
            row.delete()


def sync_notifications(*, dry_run: bool = False, using: str = "default") -> SyncReport:
    """Add, alter and remove Notification rows to match the code."""
    report = SyncReport()
    with transaction.atomic(using=using):
        existing = {(n.object_type_id, n.codename): n
                    for n in Notification.objects.using(using).filter(from_code=True)}
        seen = set()
        for model, decl in declared_notifications():
            ct = ContentType.objects.db_manager(using).get_for_model(model)
            key = (ct.id, decl.codename)
            seen.add(key)
            row = existing.get(key)
            if row is None:
                row = Notification.objects.using(using).filter(
                    object_type=ct, codename=decl.codename).first()
            _sync_one(row, ct, f"{model._meta.label_lower}.{decl.codename}", decl,
                      _wanted(model, decl, using), report, dry_run=dry_run, using=using)
        _remove_gone(existing, seen, report, dry_run=dry_run)
    return report
