"""Backends written the 4.x way: class-level build methods returning strings,
``send_message`` taking that string.  Nothing here knows about Message."""

import base64
import html
import json
import smtplib
from email.message import EmailMessage

import requests
from django.conf import settings
from django.template import Context, Template

from django_vox.backends import base
from django_vox.backends.base import Backend


def render(source, parameters, autoescape=False):
    return Template(source).render(Context(parameters, autoescape=autoescape))


class RelayEmailBackend(Backend):
    """Email through an SMTP relay (VOX4_RELAY_HOST/_PORT: EMAIL_HOST is gone with MAILERS
    on Django 6.1), the string being JSON."""

    ID = "relay-email"
    PROTOCOL = "email"
    VERBOSE_NAME = "Relay email"
    USE_SUBJECT = True
    USE_ATTACHMENTS = True
    USE_FROM_ADDRESS = True

    @classmethod
    def build_message(cls, subject, body, parameters, attachments):
        return json.dumps({
            "subject": render(subject, parameters),
            "text": render(body, parameters),
            "attachments": [{"mime": a.mime, "data": base64.b64encode(a.data).decode()}
                            for a in attachments or ()],
        })

    @classmethod
    def preview_message(cls, subject, body, parameters):
        data = json.loads(cls.build_message(subject, body, parameters, []))
        return f"<h1>{html.escape(data['subject'])}</h1><p>{html.escape(data['text'])}</p>"

    @classmethod
    def get_default_from_address(cls):
        return "relay@example.org"

    @classmethod
    def get_from_address(cls, provided, parameters):
        if not provided:
            return cls.get_default_from_address()
        return render(provided, parameters)

    def send_message(self, from_address, to_addresses, message):
        data = json.loads(message)
        mail = EmailMessage()
        mail["Subject"] = data["subject"]
        mail["From"] = from_address
        mail["To"] = ", ".join(to_addresses)
        mail.set_content(data["text"])
        for attachment in data["attachments"]:
            maintype, _slash, subtype = attachment["mime"].partition("/")
            mail.add_attachment(base64.b64decode(attachment["data"]), maintype=maintype,
                                subtype=subtype)
        with smtplib.SMTP(settings.VOX4_RELAY_HOST, settings.VOX4_RELAY_PORT, timeout=10) as smtp:
            smtp.send_message(mail, from_addr=from_address, to_addrs=list(to_addresses))


class HookBackend(Backend):
    """POSTs the rendered body, wrapped in JSON, to each webhook address.
    Defines no preview or from address: 4.x gave defaults for those."""

    ID = "hook4"
    PROTOCOL = "json-webhook"
    VERBOSE_NAME = "Hook (4.x)"

    @staticmethod
    def build_message(subject, body, parameters, attachments):
        text = base.template_from_string(body).render(Context(parameters, autoescape=False))
        return json.dumps({"text": text})

    def send_message(self, from_address, to_addresses, message):
        for address in to_addresses:
            response = requests.post(address, data=message,
                                     headers={"Content-Type": "application/json"}, timeout=10)
            response.raise_for_status()


class BadBackend(Backend):
    ID = "bad4"
    PROTOCOL = "email"

    @classmethod
    def build_message(cls, subject, body, parameters, attachments):
        return {"not": "a string"}

    def send_message(self, from_address, to_addresses, message):
        raise AssertionError("never reached")
