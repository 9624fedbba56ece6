"""The one URL converter for record ids, registered as ``<bwid:…>`` when the core app is
ready (before any URLconf is loaded)."""

from django.urls import register_converter


class IdConverter:
    """A positive id that fits any database's integer column: a longer digit string answers
    404 instead of overflowing in the query (a 500)."""

    regex = "[0-9]{1,18}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return str(value)


def register() -> None:
    register_converter(IdConverter, "bwid")
