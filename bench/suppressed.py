"""The ``fanout-suppressed`` case (issue 32): the fan-out of ``fanout-email``
to N members of which every tenth address is on the suppression list, against
today's fan-out to the members left (N − N/10, nothing suppressed).

Both deliver the same messages; the difference is what suppression costs:
one lookup query per batch and the suppressed deliveries logged.  Target:
at most 1.05 × the unsuppressed fan-out.

Each implementation has a ``prepare(post)``, run by the worker before the
timer starts (the suppression list is emptied with the log before each run).
"""

#: One address in this many is suppressed.
EVERY = 10
TARGET = 1.05


def delivered(n: int) -> int:
    """The messages both implementations deliver."""
    return n - n // EVERY


def _issue(post):
    from bench.app.registrations import PostRegistration

    PostRegistration.published.issue(post)


def ours(post):
    """Issue to the whole audience; a tenth of it is suppressed."""
    _issue(post)


def _suppress_every_tenth(post):
    from bench.app.models import audience_of  # the runner imports this module without Django
    from django_vox.models import Suppression

    emails = list(audience_of(post).values_list("email", flat=True))
    Suppression.objects.bulk_create(
        [Suppression(protocol="email", address=email.lower(), reason=Suppression.BOUNCED)
         for email in emails[::EVERY]], batch_size=2000)
    return post


ours.prepare = _suppress_every_tenth


def unsuppressed(post):
    """Today's fan-out to the members a suppressed issue reaches."""
    _issue(post)


def _smaller_audience(post):
    post.audience = delivered(post.audience)
    post.save(update_fields=["audience"])
    return post


unsuppressed.prepare = _smaller_audience


def summary(medians) -> dict:
    """The case's target line: ours / unsuppressed."""
    ratio = round(medians["ours"]["seconds"] / medians["unsuppressed"]["seconds"], 3)
    return {"unsuppressed_ratio": ratio, "ratio": ratio, "target": TARGET,
            "target_met": ratio <= TARGET,
            "cpu_ratio": round(medians["ours"]["cpu_seconds"]
                               / max(medians["unsuppressed"]["cpu_seconds"], 1e-9), 3)}
