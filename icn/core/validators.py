"""Validators shared by models, forms and serializers."""

from django.core.exceptions import ValidationError

SINGLE_LINE_MESSAGE = "Use a single line (no line breaks)."

# Every character str.splitlines() breaks a line at: CR, LF, VT, FF, the file/group/record
# separators, NEL, and the Unicode line and paragraph separators.
LINE_BREAKS = frozenset("\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")


def single_line(value) -> None:
    """A one-line field (a title, a name): refuses any line break. Such text is shown on one
    line, and may become an e-mail subject, where a line break is a header injection."""
    if isinstance(value, str) and not LINE_BREAKS.isdisjoint(value):
        raise ValidationError(SINGLE_LINE_MESSAGE, code="single_line")


def one_line(text: str) -> str:
    """`text` with every run of whitespace, line breaks included, collapsed to one space: for
    text that must be a single line whatever was stored (an e-mail subject)."""
    return " ".join(text.split())
