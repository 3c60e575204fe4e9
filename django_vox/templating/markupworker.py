"""The worker process that converts Markdown to HTML and HTML to text for
:mod:`django_vox.templating.markup`.

It runs in a process of its own (started with ``spawn``), so it imports
nothing of the package and no Django: it receives ``(converter, text,
options)`` over a pipe and answers ``(True, result)`` or ``(False, error)``.
"""

__all__ = ["serve", "convert"]


def _markdown(text, extensions):
    import markdown

    return markdown.Markdown(extensions=list(extensions)).convert(text)


def _html2text(text, _options):
    import html2text

    converter = html2text.HTML2Text()
    converter.body_width = 0  # never break long lines (URLs)
    converter.unicode_snob = True
    return converter.handle(text)


_CONVERTERS = {"markdown": _markdown, "html2text": _html2text}


def convert(converter, text, options=()):
    """Run ``converter`` ("markdown" or "html2text") on ``text``."""
    return _CONVERTERS[converter](text, options)


def serve(connection):
    """Answer conversion requests on ``connection`` until it closes."""
    connection.send((True, "ready"))
    while True:
        try:
            converter, text, options = connection.recv()
        except (EOFError, OSError):
            return
        try:
            answer = (True, convert(converter, text, options))
        except Exception as err:  # noqa: BLE001 - reported to the parent, which raises it
            answer = (False, f"{type(err).__name__}: {err}")
        connection.send(answer)
