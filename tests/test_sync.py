"""make_notifications and the post_migrate sync."""

from io import StringIO

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command

from django_vox.models import Notification, Template
from tests.testapp.models import Article, Depot

pytestmark = pytest.mark.django_db


def run(*args):
    out = StringIO()
    call_command("make_notifications", *args, stdout=out)
    return out.getvalue()


def test_migrate_alone_leaves_the_table_right():
    row = Notification.objects.get_for_model(Article, "moved")
    assert row.from_code and row.description == "An article was moved"
    assert row.actor_type.model == "user" and row.target_type == ContentType.objects.get_for_model(Depot)
    assert Notification.objects.get_for_model(Article, "urgent").required is True
    assert "Notifications are up to date." in run()


def test_adds_alters_and_removes():
    ct = ContentType.objects.get_for_model(Article)
    Notification.objects.filter(object_type=ct, codename="published").update(description="old")
    Notification.objects.filter(object_type=ct, codename="edited").delete()
    Notification.objects.create(object_type=ct, codename="stale", from_code=True)
    kept = Notification.objects.create(object_type=ct, codename="kept", from_code=True)
    Template.objects.create(notification=kept, backend="locmem", content="x")
    manual = Notification.objects.create(object_type=ct, codename="manual", from_code=False)

    dry = run("--dry-run")
    assert "Would have: Added testapp.article.edited" in dry
    assert "Would have: Altered testapp.article.published (description)" in dry
    assert "Would have: Removed testapp.article.stale" in dry
    assert Notification.objects.filter(codename="stale").exists()  # dry run changed nothing

    out = run()
    assert "Added testapp.article.edited" in out
    assert "Removed testapp.article.stale" in out
    assert "Kept testapp.article.kept" in out
    assert Notification.objects.get_for_model(Article, "published").description == (
        "An article was published")
    assert not Notification.objects.filter(codename="stale").exists()
    assert Notification.objects.filter(pk=kept.pk).exists()  # still has templates
    assert Notification.objects.filter(pk=manual.pk).exists()  # not from code
    assert "Notifications are up to date." not in out
    assert run().count("Kept") == 1


def test_the_name_for_recipients_comes_from_the_code_and_an_edit_is_kept():
    from tests.testapp.models import Subscriber

    created = Notification.objects.get_for_model(Subscriber, "created")
    assert (created.description, created.name, str(created)) == (
        "Created", "New subscriber", "New subscriber")
    assert Notification.objects.get_for_model(Article, "published").name == \
        "An article was published"  # no name declared: the description
    # A name the code gave follows the code; an editor's wording is kept.
    Notification.objects.filter(pk=created.pk).update(name="")
    assert "Altered testapp.subscriber.created (name)" in run()
    Notification.objects.filter(pk=created.pk).update(name="Welcome aboard")
    assert "Notifications are up to date." in run()
    created.refresh_from_db()
    assert created.name == "Welcome aboard"
