"""The 4.x class-level calls on backends of this version.

In 4.x, ``Backend.build_message(subject, body, parameters, attachments)`` and
``Backend.preview_message(subject, body, parameters)`` were classmethods
returning strings.  Here they are instance methods working with
:class:`~django_vox.messages.Message`.  :func:`install` (run for every backend
class by ``Backend.__init_subclass__``) lets both forms work: called on an
instance, the method is the plain method; called on the class, it builds with
a fresh instance and answers with the 4.x string.
"""

import base64
import functools
import inspect
import json
import mimetypes
import types
from dataclasses import dataclass

from django.template import Context

from django_vox.messages import Message, MessageAttachment
from django_vox.templating import rendering

__all__ = ["AttachmentData", "ClassOrInstanceMethod", "EditorTemplate", "install",
           "message_from_vox4_string",
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


def _json_object(text):
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def message_from_vox4_string(protocol, text):
    """The Message a 4.x string (see :func:`vox4_string`) stands for."""
    document = _json_object(text)
    if document is None:
        return Message(text=text)
    if protocol != "email":
        return Message(text=text, data=document)
    attachments = [
        MessageAttachment(filename=f"attachment{n}{mimetypes.guess_extension(a['mime']) or ''}",
                          content=base64.b64decode(a["data"]), mimetype=a["mime"])
        for n, a in enumerate(document.get("attachments") or (), start=1)]
    return Message(subject=document.get("subject") or "", text=document.get("text") or "",
                   html=document.get("html") or None, attachments=attachments)


def _accepting_strings(func):
    """``send``/``send_message`` also taking a 4.x string as the message."""

    @functools.wraps(func)
    def method(self, *args):
        if args and isinstance(args[-1], str):
            args = (*args[:-1], message_from_vox4_string(self.PROTOCOL, args[-1]))
        return func(self, *args)

    return method


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
            backend = owner()
            result = func(backend, *args, **kwargs)
            return convert(owner.PROTOCOL, result) if convert is not None else result

        return class_call


def install(cls):
    """Let ``cls`` answer the 4.x calls: class-level ``build_message`` and
    ``preview_message``, and ``send``/``send_message`` given a 4.x string.
    Classes written for 4.x (and their adapters) are left as they are."""
    legacy = isinstance(inspect.getattr_static(cls, "build_message", None),
                        (classmethod, staticmethod))
    if legacy or hasattr(cls, "legacy_class"):
        return
    for name, convert in (("build_message", vox4_string), ("preview_message", None)):
        value = cls.__dict__.get(name)
        if isinstance(value, types.FunctionType):
            setattr(cls, name, ClassOrInstanceMethod(value, convert))
    for name in ("send", "send_message"):
        value = cls.__dict__.get(name)
        if isinstance(value, types.FunctionType):
            setattr(cls, name, _accepting_strings(value))
