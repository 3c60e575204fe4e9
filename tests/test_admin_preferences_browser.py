"""The preferences admin in headless Chromium: choose the kind of owner, then
search the owner among the records of that kind."""

import pytest
from django.contrib.auth import get_user_model

from django_vox.models import Preference
from tests.test_admin_browser import choose_by_search
from tests.test_admin_editor_browser import log_in
from tests.testapp.models import Subscriber

pytestmark = [pytest.mark.browser]


def test_an_owner_is_searched_among_the_kind_chosen(page, transactional_db):
    from playwright.sync_api import expect

    get_user_model().objects.create_superuser("boss", "boss@example.org", "pw")
    ada = Subscriber.objects.create(name="Ada Lovelace", email="ada@example.org")
    Subscriber.objects.create(name="Grace Hopper", email="grace@example.org")
    page.set_viewport_size({"width": 1280, "height": 800})
    log_in(page)
    page.goto("/admin/django_vox/preference/add/")
    owner_row = page.locator(".form-row.field-owner_id")
    expect(owner_row).to_be_hidden()  # no kind chosen: an address
    page.locator("select[name=owner_type]").select_option(label="Subscriber")
    expect(owner_row).to_be_visible()
    choose_by_search(page, "owner_id", "love", "Ada Lovelace")
    page.locator("select[name=protocol]").select_option(label="Email")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".messagelist .success")).to_be_visible()
    expect(page.locator("#result_list")).to_contain_text("Subscriber: Ada Lovelace")
    preference = Preference.objects.get()
    assert (preference.owner_id, preference.protocol) == (str(ada.pk), "email")
    assert page.js_errors == []
