from builder.models import CanonEntry


def canon_text(template_key: str) -> str | None:
    """The canon text for a key, or None when no entry exists (empty text is returned as is)."""
    return (
        CanonEntry.objects.filter(template_key=template_key).values_list("text", flat=True).first()
    )


def known_template_keys() -> list[str]:
    return list(CanonEntry.objects.values_list("template_key", flat=True))
