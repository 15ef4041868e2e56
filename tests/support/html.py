"""Reading a rendered page the way a person reads it: what the page says beside a field."""

import re


def field_error(page: str, field_id: str) -> str:
    """The error shown for the field whose widget has id ``field_id``: the element with id
    ``<field_id>_error``, which the widget's aria-describedby names."""
    found = re.search(rf'<(\w+)[^>]*\bid="{re.escape(field_id)}_error"[^>]*>(.*?)</\1>', page, re.S)
    assert found, f"no error shown for #{field_id}"
    return found.group(2).strip()
