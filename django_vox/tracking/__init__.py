"""Hearing back from providers: what happened to a message after it was sent.

* :mod:`~django_vox.tracking.models` — the events providers report about
  deliveries (:class:`DeliveryEvent`) and the addresses no longer written to
  (:class:`Suppression`);
* :mod:`~django_vox.tracking.recorder` — records an event once, updates the
  delivery's ``provider_status``, applies the suppression rules and sends the
  signals of :mod:`~django_vox.tracking.signals`;
* :mod:`~django_vox.tracking.suppression` — looking addresses up (one query a
  batch), the contact filter every sending path goes through, lifting;
* the sources: :mod:`~django_vox.tracking.anymail` (django-anymail's
  ``tracking`` signal), :mod:`~django_vox.tracking.postmark` and
  :mod:`~django_vox.tracking.twilio` (webhook views, hardened in
  :mod:`~django_vox.tracking.webhooks`);
* :mod:`~django_vox.tracking.admin` — the admin's parts.

This package module imports nothing: ``django_vox.models`` imports the models
module below it when Django loads the models.
"""
