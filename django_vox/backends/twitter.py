"""Twitter status updates and direct messages, with python-twitter.

An empty address posts a status update on the configured account; any other
address is a handle (without "@") that gets a direct message.  python-twitter's
requests go through django-vox's HttpSession (timeout, one session per issue);
``DJANGO_VOX_TWITTER_API_BASE`` moves the API (proxies, tests).
"""

import json
import re

from django.utils.translation import gettext_lazy as _

from django_vox import conf
from django_vox.backends.base import Backend as BaseBackend
from django_vox.exceptions import InvalidAddress, PermanentSendError, SendError
from django_vox.http import HttpSessionMixin

__all__ = ["Backend"]

HANDLE = re.compile(r"^[A-Za-z0-9_]{1,15}\Z")
CREDENTIALS = ("DJANGO_VOX_TWITTER_CONSUMER_KEY", "DJANGO_VOX_TWITTER_CONSUMER_SECRET",
               "DJANGO_VOX_TWITTER_TOKEN_KEY", "DJANGO_VOX_TWITTER_TOKEN_SECRET")


class _SessionAdapter:
    """Stands in for the requests.Session python-twitter keeps in ``Api._session``."""

    def __init__(self, http):
        self.http = http

    def post(self, url, data=None, json=None, files=None, auth=None, timeout=None, proxies=None):
        return self.http.request("POST", url, what="Twitter API request", data=data, json=json,
                                 files=files, auth=auth)

    def get(self, url, auth=None, timeout=None, proxies=None):
        return self.http.request("GET", url, what="Twitter API request", auth=auth)


class Backend(HttpSessionMixin, BaseBackend):
    ID = "twitter"
    PROTOCOL = "twitter"
    VERBOSE_NAME = _("Twitter")
    EDITOR_TYPE = "basic"
    DEPENDS = ("twitter",)
    EXTRA = "twitter"
    REQUIRED_SETTINGS = CREDENTIALS

    def __init__(self):
        super().__init__()
        self.api = None

    def open(self):
        opened = super().open()
        if self.api is None:
            self.check_dependencies()
            import twitter

            key, secret, token, token_secret = (conf.require(name) for name in CREDENTIALS)
            self.api = twitter.Api(consumer_key=key, consumer_secret=secret,
                                   access_token_key=token, access_token_secret=token_secret,
                                   base_url=conf.get("DJANGO_VOX_TWITTER_API_BASE").rstrip("/"),
                                   cache=None)
            self.api._session = _SessionAdapter(self.http)
        return opened

    def close(self):
        self.api = None
        super().close()

    def validate_address(self, address):
        if address and not HANDLE.match(address):
            reason = ('write the handle without "@"' if address.startswith("@")
                      else "a Twitter handle has 1-15 letters, digits or underscores")
            raise InvalidAddress(address, reason, protocol=self.PROTOCOL)

    def send(self, address, message):
        """A status update when ``address`` is empty, else a direct message."""
        self.validate_address(address)
        opened_here = self.open()
        import twitter

        what = f"Twitter direct message to {address}" if address else "Twitter status update"
        try:
            if address:
                self.api.PostDirectMessage(message.text, screen_name=address)
            else:
                self.api.PostUpdate(message.text)
        except SendError as err:
            code, text = _twitter_error(err.body)
            if code is not None:
                err.code = code
                err.message = f"{what} failed: {text}"
            raise
        except twitter.TwitterError as err:
            raise PermanentSendError(f"{what} failed: {err.message}") from err
        finally:
            if opened_here:
                self.close()


def _twitter_error(body):
    """Twitter's first error ``(code, message)`` from a response body, if any."""
    try:
        errors = json.loads(body or "").get("errors")
        return errors[0].get("code"), errors[0].get("message", "")
    except (ValueError, AttributeError, IndexError, TypeError):
        return None, None
