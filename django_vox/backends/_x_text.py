"""How long a post is as X counts it (X's "weighted" length).

X does not count code points the way ``len()`` does.  Its published rules
(the twitter-text configuration, version 3, which X still applies):

* The text is first normalised to Unicode NFC, so "e" + a combining accent
  counts as the one character "é".
* Every code point weighs 2, except those in four ranges that weigh 1:
  U+0000–U+10FF (Latin, Greek, Cyrillic, Hebrew, Arabic, Indic scripts...),
  U+2000–U+200D (spaces and joiners), U+2010–U+201F (dashes and quotes) and
  U+2032–U+2037 (primes).  CJK characters, Hangul and emoji therefore weigh 2.
* An emoji weighs 2 however many code points make it up: skin tones, the
  emoji variation selector, keycaps, flags and zero-width-joiner sequences
  (a family, a profession) are one emoji.
* Every link weighs 23, however long it is, because X shortens it to a
  t.co link.  Links with ``http://`` or ``https://`` count, and so do bare
  domains X would link: ``www.`` names, names ending in a generic top-level
  domain (``example.com``), and country-code domains followed by a path
  (``example.de/page``).
* A post may weigh at most 280.
"""

import re
import unicodedata

__all__ = ["MAX_POST_LENGTH", "URL_LENGTH", "weighted_length"]

#: The most a post may weigh.
MAX_POST_LENGTH = 280
#: What every link weighs.
URL_LENGTH = 23

#: Code point ranges (inclusive) that weigh 1; everything else weighs 2.
_LIGHT_RANGES = ((0x0000, 0x10FF), (0x2000, 0x200D), (0x2010, 0x201F), (0x2032, 0x2037))

#: Generic top-level domains a bare domain name is linked with.  Country-code
#: domains (two letters) are linked only when a path follows.
_GENERIC_TLDS = (
    "com|net|org|edu|gov|mil|int|info|biz|name|pro|mobi|app|dev|io|ai|co|me|tv|xyz|online|"
    "site|tech|store|shop|blog|news|page|link|live|cloud|club|top|art|design|email|social")

_LABEL = r"[^\W_](?:[\w-]{0,61}[^\W_])?"
_PATH = r"(?:[/?#][^\s]*)?"
_URL = re.compile(
    rf"(?<![\w@#$/.-])(?:"
    rf"https?://[^\s]+"  # any link with a scheme
    rf"|www\.(?:{_LABEL}\.)*{_LABEL}\.[a-z]{{2,}}{_PATH}"
    rf"|(?:{_LABEL}\.)+(?:{_GENERIC_TLDS})(?![\w-]){_PATH}"
    rf"|(?:{_LABEL}\.)+[a-z]{{2}}/[^\s]*"
    rf")",
    re.IGNORECASE,
)
#: Characters X leaves out of the end of a link ("see example.com." ends at "m").
_TRAILING = ".,;:!?'\"*"

_PICTOGRAPH = "[\u203c-\u3299\U0001f000-\U0001faff]"
_MODIFIER = "[\ufe0f\U0001f3fb-\U0001f3ff\U000e0020-\U000e007f]"
_EMOJI = re.compile(
    "[\U0001f1e6-\U0001f1ff]{2}"  # a flag: two regional indicators
    "|[0-9#*]\ufe0f?\u20e3"  # a keycap
    "|[\u00a9\u00ae]\ufe0f"  # (c) and (R) in emoji presentation
    f"|{_PICTOGRAPH}{_MODIFIER}*(?:\u200d{_PICTOGRAPH}{_MODIFIER}*)*"
)


def _trim_link(link: str) -> str:
    """``link`` without trailing punctuation, nor a ")" that closes nothing in it."""
    while link:
        if link[-1] in _TRAILING:
            link = link[:-1]
        elif link[-1] == ")" and link.count(")") > link.count("("):
            link = link[:-1]
        else:
            break
    return link


def _code_point_weight(char: str) -> int:
    point = ord(char)
    return 1 if any(low <= point <= high for low, high in _LIGHT_RANGES) else 2


def _text_weight(text: str) -> int:
    """The weight of link-free text: emoji 2 each, other code points by range."""
    weight, position = 0, 0
    for emoji in _EMOJI.finditer(text):
        weight += sum(_code_point_weight(char) for char in text[position:emoji.start()]) + 2
        position = emoji.end()
    return weight + sum(_code_point_weight(char) for char in text[position:])


def weighted_length(text: str) -> int:
    """The length of ``text`` as X counts it for a post (see the module docstring)."""
    text = unicodedata.normalize("NFC", text or "")
    weight, position = 0, 0
    for match in _URL.finditer(text):
        link = _trim_link(match.group())
        if not link:
            continue
        weight += _text_weight(text[position:match.start()]) + URL_LENGTH
        position = match.start() + len(link)
    return weight + _text_weight(text[position:])
