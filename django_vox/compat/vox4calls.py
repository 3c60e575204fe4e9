"""The 4.x class-level calls on the built-in backends, and the 4.x string form.

In 4.x, ``Backend.build_message(subject, body, parameters, attachments)`` and
``Backend.preview_message(subject, body, parameters)`` were classmethods
returning strings.  Now they are instance methods working with
:class:`~django_vox.messages.Message`.  :func:`install` (run by
:mod:`django_vox.compat.install` for the built-in backends and for every class
the backend registry loads) lets both forms work: called on an instance, the
method is the plain method; called on the class, it warns
(:class:`~django_vox.exceptions.RemovedInDjangoVox6Warning`), builds with a
fresh instance and answers with the 4.x string.
"""

import base64
import functools
import inspect
import json
import types
from dataclasses import dataclass

from django.template import Context

from django_vox.compat import deprecated
from django_vox.templating import rendering

__all__ = ["AttachmentData", "ClassOrInstanceMethod", "EditorTemplate", "install",
           "template_from_string", "vox4_string"]


@dataclass
class AttachmentData:
    """An attachment as 4.x backends received it: ``data`` (bytes) and ``mime``."""

    data: bytes
    mime: str
    filename: str = ""


class EditorTemplate:
    """An editor's template compiled by django-vox's restricted engine, with the
    ``render(context)`` of a Django template (see :mod:`django_vox.rendering`)."""

    def __init__(self, source: str):
        self.template = rendering.compile_template(source or "")

    def render(self, context=None) -> str:
        values = context.flatten() if isinstance(context, Context) else dict(context or {})
        autoescape = getattr(context, "autoescape", True)
        return rendering.render_compiled(
            self.template, Context(rendering.template_data(values), autoescape=autoescape))


def template_from_string(source: str) -> EditorTemplate:
    """An editor's template (render it with a ``Context``), as 4.x backends built
    theirs; compiled by the restricted engine, so it can do what any editor
    template can and no more."""
    return EditorTemplate(source)


def vox4_string(protocol, message):
    """``message`` in the string form 4.x backends built for ``protocol``:
    JSON with subject, text, html and attachments for email, the JSON of the
    structured data for webhooks and Postmark, the text otherwise."""
    if protocol == "email":
        document = {"subject": message.subject, "text": message.text, "html": message.html or ""}
        if message.attachments:
            document["attachments"] = [
                {"data": base64.b64encode(a.content).decode("ascii"), "mime": a.mimetype}
                for a in message.attachments]
        return json.dumps(document)
    if message.data is not None:
        return json.dumps(message.data)
    return message.text


class ClassOrInstanceMethod:
    """A method that answers the 4.x way when called on the class."""

    def __init__(self, func, to_class_result=None):
        self.func = func
        self.to_class_result = to_class_result
        functools.update_wrapper(self, func)

    def __get__(self, instance, owner):
        if instance is not None:
            return self.func.__get__(instance, owner)
        return self._class_call(owner)

    def _class_call(self, owner):
        func, convert = self.func, self.to_class_result

        @functools.wraps(func)
        def class_call(*args, **kwargs):
            if args and isinstance(args[0], owner):  # Parent.method(self, ...), unbound
                return func(*args, **kwargs)
            name = f"{owner.__module__}.{owner.__qualname__}"
            deprecated(f"Calling {name}.{func.__name__}() on the class (the 4.x form)",
                       f"call it on an instance, {name}().{func.__name__}(...), which "
                       f"works with django_vox.messages.Message.")
            backend = owner()
            result = func(backend, *args, **kwargs)
            return convert(owner.PROTOCOL, result) if convert is not None else result

        return class_call


def install(cls):
    """Let ``cls`` answer the 4.x class-level ``build_message`` and
    ``preview_message`` calls (with a warning).  Classes written for 4.x (and
    their adapters) are left as they are; so is a class already done."""
    legacy = isinstance(inspect.getattr_static(cls, "build_message", None),
                        (classmethod, staticmethod))
    if legacy or hasattr(cls, "legacy_class"):
        return
    for name, convert in (("build_message", vox4_string), ("preview_message", None)):
        value = cls.__dict__.get(name)
        if isinstance(value, types.FunctionType):
            setattr(cls, name, ClassOrInstanceMethod(value, convert))
