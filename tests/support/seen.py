"""What a person sees in the browser: an element on screen and not clipped.

Shared by the browser tests of issue 30 (tests/test_*_browser.py)."""

WIDTHS = [1024, 1280, 1920]


def on_screen(locator, viewport_width):
    """``locator`` is displayed, and its box lies across the viewport's width
    (no scrolling sideways to find it)."""
    box = locator.bounding_box()
    assert box is not None, f"{locator} is not displayed"
    assert box["x"] >= 0 and box["x"] + box["width"] <= viewport_width + 0.5, (
        f"{locator} at x={box['x']:.0f}..{box['x'] + box['width']:.0f}, "
        f"outside a {viewport_width} px window")
    return box


def unclipped(locator):
    """Every element of ``locator`` shows its whole content: nothing cut or
    scrolled inside (scrollWidth <= clientWidth)."""
    clipped = locator.evaluate_all(
        "els => els.filter(e => e.scrollWidth > e.clientWidth + 1)"
        ".map(e => e.className + ': ' + e.textContent.trim().slice(0, 60))")
    assert clipped == [], f"clipped: {clipped}"


def page_fits(page):
    """The page itself needs no sideways scrolling."""
    widths = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1], f"page is {widths[0]} px wide in a {widths[1]} px window"


def not_covered(locator):
    """Each element of ``locator`` is the one a click at its middle reaches
    (nothing, such as a filter panel, lies over it); scrolled into view first."""
    for element in locator.all():
        element.scroll_into_view_if_needed()
        hit = element.evaluate("""el => {
            const r = el.getBoundingClientRect();
            const hit = document.elementFromPoint(r.left + r.width / 2,
                                                  r.top + Math.min(r.height / 2, 8));
            return el.contains(hit) ? "" : (hit ? hit.outerHTML.slice(0, 80) : "nothing");
        }""")
        assert hit == "", f"{element} is covered by {hit}"
