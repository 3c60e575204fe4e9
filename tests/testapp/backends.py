"""Backends used by the tests to exercise failures and configuration errors."""

from django_vox.backends import locmem
from django_vox.exceptions import PermanentSendError, TransientSendError


class FlakyBackend(locmem.Backend):
    """Fails for addresses listed in ``failing`` (a class attribute tests change)."""

    ID = "flaky"
    failing: set = set()
    transient = False

    def send(self, address, message):
        if address in type(self).failing:
            error = TransientSendError if type(self).transient else PermanentSendError
            raise error(f"refused {address}", status=550)
        super().send(address, message)


class CrashingBackend(locmem.Backend):
    """Raises an unexpected exception type from send()."""

    ID = "crashing"

    def send(self, address, message):
        raise ZeroDivisionError("boom")


class DuplicateIdBackend(locmem.Backend):
    ID = "locmem"


class NeedsPackageBackend(locmem.Backend):
    ID = "needs-package"
    DEPENDS = ("surely_not_installed_pkg",)
    EXTRA = "imaginary"


class NeedsSettingsBackend(locmem.Backend):
    ID = "needs-settings"
    REQUIRED_SETTINGS = ("DJANGO_VOX_TWILIO_ACCOUNT_SID", "DJANGO_VOX_TWILIO_AUTH_TOKEN")


class NotABackend:
    pass


class HalfInstalledBackend(locmem.Backend):
    """A default backend whose extra is half there, like xmpp's on Python 3.13."""

    ID = "half-installed"
    DEPENDS = ("surely_not_installed_pkg", "json")
    EXTRA = "imaginary"
    EXTRA_ONLY = ("email",)


class CommonDependencyBackend(locmem.Backend):
    """Its main package is missing, a common one it also needs is there (like
    twilio's phonenumbers or xmpp's pytz): not a sign that its extra is installed."""

    ID = "common-dependency"
    DEPENDS = ("surely_not_installed_pkg", "json")
    EXTRA = "imaginary"
