"""Shared set-up of the tracking tests: signed and authenticated webhook requests."""

import base64
import hashlib
import hmac
import json
from urllib.parse import urlencode

from twilio.request_validator import RequestValidator

PUBLIC = "https://vox.example.org"  # DJANGO_VOX_WEBHOOK_BASE_URL
TWILIO_SID = "AC0123456789abcdef0123456789abcdef"
TWILIO_TOKEN = "tracking-auth-token-0123"
POSTMARK_CREDENTIALS = "postmark-hooks:Dz7-long-enough-password"
ANYMAIL_SECRET = "anymail-hooks:another-long-password"
MAILGUN_KEY = "key-mailgun-signing-0123456789"


def basic(credentials: str) -> str:
    return "Basic " + base64.b64encode(credentials.encode()).decode()


def post_postmark(client, payload, credentials=POSTMARK_CREDENTIALS, **extra):
    headers = {"HTTP_AUTHORIZATION": basic(credentials)} if credentials else {}
    return client.post("/vox/tracking/postmark/", data=json.dumps(payload),
                       content_type="application/json", **headers, **extra)


def twilio_signature(params: dict, token: str = TWILIO_TOKEN,
                     url: str = PUBLIC + "/vox/tracking/twilio/") -> str:
    return RequestValidator(token).compute_signature(url, params)


def post_twilio(client, params, signature=None):
    headers = {}
    signature = twilio_signature(params) if signature is None else signature
    if signature:
        headers["HTTP_X_TWILIO_SIGNATURE"] = signature
    return client.post("/vox/tracking/twilio/", data=urlencode(params),
                       content_type="application/x-www-form-urlencoded", **headers)


def mailgun_payload(event_data: dict, timestamp="1767225600", token="a" * 50,
                    key: str = MAILGUN_KEY) -> dict:
    signature = hmac.new(key.encode(), f"{timestamp}{token}".encode(),
                         hashlib.sha256).hexdigest()
    return {"signature": {"timestamp": timestamp, "token": token, "signature": signature},
            "event-data": event_data}


def post_anymail(client, esp: str, payload):
    return client.post(f"/anymail/{esp}/tracking/", data=json.dumps(payload),
                       content_type="application/json",
                       HTTP_AUTHORIZATION=basic(ANYMAIL_SECRET))
