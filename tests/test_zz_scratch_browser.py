import pytest
from tests.test_admin_editor_browser import log_in, published  # noqa: F401

pytestmark = [pytest.mark.browser]


@pytest.mark.parametrize("width", [1280, 1920])
def test_shots(page, published, width):  # noqa: F811
    page.set_viewport_size({"width": width, "height": 1000})
    log_in(page)
    page.goto(f"/admin/django_vox/notification/{published.pk}/change/")
    page.wait_for_timeout(1500)
    page.screenshot(path=f"/tmp/r30shots/change-{width}.png", full_page=True)
    row = page.locator("#templates-0")
    print(width, "subject", row.locator("input[name=templates-0-subject]").bounding_box())
    print(width, "content", row.locator("textarea[name=templates-0-content]").bounding_box())
    print(width, "frame", row.locator(".field-content .vox-preview-frame").bounding_box())
    page.goto("/admin/django_vox/preference/add/")
    page.screenshot(path=f"/tmp/r30shots/pref-add-{width}.png", full_page=True)
