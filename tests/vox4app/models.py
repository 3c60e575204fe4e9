"""The code examples of the django-vox 4.0.6 docs, as a 4.x project has them.

Each block is the docs' example with only the imports the docs leave out
added; where two examples define a model of the same name, the second gets a
numbered name.  Registrations sit at the bottom of models.py, as in the docs.
``Invoice`` uses the legacy model API 4.0.6 still shipped "for backwards
compatibility" (VoxModel with a VoxMeta), as projects of older 4.x releases did.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from django_vox.models import VoxModel, VoxNotification, VoxNotifications
from django_vox.registry import (
    Attachment,
    Channel,
    Contact,
    Notification,
    Registration,
    objects,
    provides_contacts,
)


# -- getting_started.rst: "Registering the Models" -------------------------------
class User(models.Model):

    username = models.CharField(max_length=100, unique=True, db_index=True)
    # required email, optional mobile_phone
    email = models.EmailField(blank=False)
    mobile_phone = models.CharField(blank=True, max_length=50)

    def get_full_name(self):
        return self.username.title()

    def get_absolute_url(self):
        return f"/users/{self.username}/"

    def __str__(self):
        return self.username


class UserRegistration(Registration):


    @provides_contacts("email")
    def email_contact(self, instance, notification):
        # you can return just the address
        yield instance.email

    @provides_contacts("sms")
    def email_contact(self, instance, notification):  # noqa: F811 - as in the 4.x docs
        if instance.mobile_phone:
            # or you can also ret a full contact object
            # if you want to manually specify the name
            yield Contact(
                instance.get_full_name(),
                "email",
                instance.mobile_phone)

    def get_channels(self):
        return {"": Channel.self(self)}

    # -- activities.rst: "Registering URIs" and "Accessing the Inboxes" ----------
    @provides_contacts("activity")
    def activity_contact(self, instance, notification):
        yield self._get_object_address(instance)

    def has_activity_endpoint(self, instance):
        return True

    # -- not from the docs: a vCard, for nested attachment keys (object.author.vcard)
    vcard = Attachment(attr="vcard_text", mime_string="text/vcard", label=_("Contact Info"))

    @staticmethod
    def vcard_text(instance):
        return f"BEGIN:VCARD\nFN:{instance.get_full_name()}\nEND:VCARD\n"


class PurchaseOrder(models.Model):

    customer = models.ForeignKey(User, on_delete=models.PROTECT)
    on_hold = models.BooleanField(default=False)  # used by the example's post_save

    def save(self, *args, **kwargs):
        created = self.id is None
        if not created:
            old = PurchaseOrder.objects.get(pk=self.pk)
        else:
            old = None
        super().save(*args, **kwargs)
        objects[self.__class__].registration.post_save(
            created, old, self)


class PurchaseOrderRegistration(Registration):

    received = Notification(
        _("Notification that order was received."))
    on_hold = Notification(
        _("Notification that order is on hold."))

    def post_save(self, created, old, new):
        if created:
            self.received.issue(new)
        if old and not old.on_hold and new.on_hold:
            self.on_hold.issue(new)

    def get_channels(self):
        return {"cust": Channel.field(PurchaseOrder.customer)}


# -- registrations.rst: "Specifying Actors and Targets" ---------------------------
class Page(models.Model):
    content = models.TextField()


class PageRegistration(Registration):

    edited = Notification(
        _("Notification that the page was edited"),
        actor_type="auth.user",
        target_type="vox4app.page",  # the docs' app is "myapp"
    )


# -- registrations.rst: "Attachments" -------------------------------------------------
class Page2(models.Model):
    html_content = models.TextField()
    author = models.ForeignKey(User, null=True, on_delete=models.SET_NULL)


def pdf_from_string(html):
    """Stands in for ``pdfkit.from_string(html, False)`` (wkhtmltopdf is not installed)."""
    return b"%PDF-1.4\n% " + html.encode()


class Page2Registration(Registration):

    pdf = Attachment(
        # attr is an instance method, or a callable on either
        # the model itself, or the registration class.
        # If it's a callable, it takes one argument(the model instance)
        attr="as_pdf",
        # you can also you mime_attr if you need a dynamic mime type
        mime_string="application/pdf",
        # defaults to "pdf" in this case, if left blank
        label=_("PDF Copy")
    )

    @staticmethod
    def as_pdf(instance):
        """Generate PDF from page contents"""
        return pdf_from_string(instance.html_content)

    edited = Notification(_("Page edited"))

    def get_channels(self):
        return {"author": Channel.field(Page2.author)}


# -- the legacy model API of 4.0.6: notifications declared on the model ----------------
class Invoice(VoxModel):

    class VoxMeta:
        notifications = VoxNotifications(
            sent=VoxNotification(
                _("Notification that an invoice was sent."),
                actor_type="vox4app.user", target_type="vox4app.purchaseorder"),
            paid=_("Notification that an invoice was paid."),
        )

    number = models.CharField(max_length=20)
    order = models.ForeignKey(PurchaseOrder, null=True, on_delete=models.SET_NULL)

    def __str__(self):
        return self.number


# the actual registration
objects.add(User, UserRegistration, regex=r'^members/(?P<username>\w+)/$')  # docs: users/
objects.add(
    PurchaseOrder, PurchaseOrderRegistration, regex=r'^po/(?P<id>[0-9]+)/$'
)
objects.add(Page, PageRegistration, regex=None)
objects.add(Page2, Page2Registration, regex=None)
