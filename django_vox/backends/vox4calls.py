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
import json
import types
from dataclasses import dataclass

from django.template import Template

__all__ = ["AttachmentData", "ClassOrInstanceMethod", "install", "template_from_string",
           "vox4_string"]


@dataclass
class AttachmentData:
    """An attachment as 4.x backends received it: ``data`` (bytes) and ``mime``."""

    data: bytes
    mime: str
    filename: str = ""


def template_from_string(source: str) -> Template:
    """A Django template (render it with a ``Context``), as 4.x backends built theirs."""
    return Template(source)


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
            backend = owner()
            result = func(backend, *args, **kwargs)
            return convert(owner.PROTOCOL, result) if convert is not None else result

        return class_call


def install(cls):
    """Wrap the ``build_message``/``preview_message`` that ``cls`` defines itself."""
    for name, convert in (("build_message", vox4_string), ("preview_message", None)):
        value = cls.__dict__.get(name)
        if isinstance(value, types.FunctionType):
            setattr(cls, name, ClassOrInstanceMethod(value, convert))
