"""The preview's note about related objects the editor may not view (issue 34,
item 1), in headless Chromium at 1280 px."""

import pytest
from django.contrib.auth.models import Permission

from django_vox.models import Notification, Template
from tests import factories
from tests.test_admin_browser import BACKENDS
from tests.test_admin_editor_browser import log_in
from tests.testapp.models import Article

pytestmark = [pytest.mark.browser]

PERMS = ("view_notification", "change_notification", "view_template", "change_template",
         "view_article")


@pytest.fixture
def notification(transactional_db, settings):
    settings.DJANGO_VOX_BACKENDS = BACKENDS
    editor = factories.make_user("viewer", is_staff=True)
    editor.set_password("pw")
    editor.save()
    editor.user_permissions.add(*Permission.objects.filter(codename__in=PERMS))
    author = factories.make_user("ann", last_name="Smith")
    Article.objects.create(author=author, title="Spring news")
    notification = Notification.objects.get_for_model(Article, "published")
    Template.objects.create(notification=notification, backend="locmem-sms",
                            recipients="c:author",
                            content="{{ object.title }} by [{{ object.author.email }}]"
                                    "[{{ object.author.last_name }}]")
    return notification


def test_preview_notes_related_objects_hidden_from_the_editor(page, notification):
    from playwright.sync_api import expect

    page.set_viewport_size({"width": 1280, "height": 800})
    log_in(page, "viewer")
    page.goto(f"/admin/django_vox/notification/{notification.pk}/change/")
    row = page.locator("#templates-0")
    warnings = row.locator(".vox-preview-warnings")
    expect(warnings).to_contain_text("hidden: you may not view users")
    expect(warnings).to_be_visible()
    frame = row.locator(".vox-preview-frame").content_frame
    expect(frame.locator("body")).to_contain_text("Spring news by [][]")
    assert "ann@example.org" not in frame.locator("body").inner_text()
    assert "Smith" not in page.content() + frame.locator("body").inner_text()
    assert not page.js_errors
