"""What a template can reach, described: for the variable picker and the checks.

:func:`describe_model` lists the names a view of a model offers (the same
rules :mod:`django_vox.templating.sandbox` applies when it builds views), with labels and
types.  :func:`unreachable` compares the variables a template uses with such
a description, so saved templates that use something no longer offered (a
4.x template calling a method) can be named.
"""

import re
from collections.abc import Callable

from django_vox.templating.rendering import bound_names, variables_used
from django_vox.templating.sandbox import (
    MAX_DEPTH,
    DataView,
    ObjectView,
    registration_lookup,
)

__all__ = ["describe_model", "describe", "reachable", "unreachable"]


def describe_model(model, registration_for: Callable | None = None, prefix="", depth=0) -> list:
    """What a template can reach from a view of ``model`` named ``prefix``.

    A list of ``{"path", "label", "type"}``; ``type`` is one of text, number,
    boolean, date, datetime, time, duration, file, data, object, list.  An
    object is followed by its own entries (paths ``prefix.relation.name``) up
    to :data:`MAX_DEPTH`; a list carries ``"items"``, the entries of one item
    with paths relative to the loop variable (``item.name``).  An entry whose
    label repeats an earlier one's (``id`` after ``pk``, both "ID"; a
    ``get_username`` "user name" after the field "username") is marked
    ``"hidden"``: still reachable, but the picker offers each thing once.
    """
    lookup = registration_lookup(registration_for, depth)
    result, labels = [], set()
    for entry in lookup.rules(model):
        path = f"{prefix}.{entry.name}" if prefix else entry.name
        item = {"path": path, "label": str(entry.label), "type": entry.type}
        label_key = re.sub(r"[\W_]+", "", item["label"].lower())
        if label_key in labels:
            item["hidden"] = True
        labels.add(label_key)
        result.append(item)
        if entry.related_model is None or depth >= MAX_DEPTH:
            continue
        if entry.type == "list":
            item["items"] = describe_model(entry.related_model, registration_for, "item",
                                           depth + 1)
        else:
            for sub in describe_model(entry.related_model, registration_for, path, depth + 1):
                result.append(dict(sub, label=f"{item['label']} › {sub['label']}"))
    return result


def describe(view) -> list:
    """What a template can reach from ``view`` (an ObjectView or DataView), as
    :func:`describe_model` lists it; for a DataView, its keys as text."""
    if isinstance(view, ObjectView):
        lookup = view._vox_lookup
        return describe_model(view._vox_rules.model, lookup.registration_for, "", lookup.depth)
    if isinstance(view, DataView):
        return [{"path": name, "label": name.replace("_", " "), "type": "text"}
                for name in sorted(view._vox_names)]
    return []


# -- which variables a template uses, and whether it can reach them ----------------

def _entries_by_path(entries):
    return {entry["path"]: entry for entry in entries}


def _step_into_list(entry, bits, index):
    """Follow ``bits[index:]`` from a list entry; None when it cannot go on."""
    bit = bits[index]
    if bit == "all":
        return index + 1, entry
    if bit == "count":
        return (len(bits), entry) if index == len(bits) - 1 else None
    if bit.isdigit():
        items = _entries_by_path(entry.get("items", ()))
        return index + 1, {"path": "item", "type": "object", "_entries": items}
    return None


def reachable(entries, path: str) -> bool:
    """Whether a template can reach ``path`` (``"object.author.username"``) given
    ``entries``, a description as :func:`describe_model` gives it with the
    context's variables as its roots (``{"path": "object", ...}``)."""
    table = _entries_by_path(entries)
    bits = path.split(".")
    current = table.get(bits[0])
    index = 1
    while current is not None and index < len(bits):
        kind = current.get("type")
        if kind == "data":
            return True
        if kind == "list":
            step = _step_into_list(current, bits, index)
            if step is None:
                return False
            index, current = step
            table = current.get("_entries", table)
            continue
        if kind == "file":
            return index == len(bits) - 1 and bits[index] in ("name", "url")
        key = f"{current['path']}.{bits[index]}"
        current = table.get(key)
        index += 1
    return current is not None


def unreachable(source: str, entries) -> list:
    """``[(line, path)]`` for each variable ``source`` uses that ``entries`` (see
    :func:`reachable`) does not offer.  Names a template binds itself
    (``{% for %}``, ``{% with %}``, ``as``) are followed to what they stand for."""
    aliases, local = bound_names(source)
    result = []
    for line, path in variables_used(source):
        resolved = _resolve_alias(path, aliases)
        if resolved is None or resolved.split(".")[0] in local or resolved.startswith("forloop"):
            continue
        if not reachable(entries, resolved) and (line, path) not in result:
            result.append((line, path))
    return result


def _resolve_alias(path, aliases):
    for _round in range(10):
        root, _dot, rest = path.partition(".")
        if root not in aliases:
            return path
        target = aliases[root]
        if target is None:
            return None
        path = f"{target}.{rest}" if rest else target
    return None
