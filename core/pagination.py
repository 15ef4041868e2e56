from drf_spectacular.utils import inline_serializer
from rest_framework import serializers
from rest_framework.pagination import CursorPagination, PageNumberPagination


class PageSizePagination(PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 200


def page_of(serializer_class) -> serializers.Serializer:
    """The OpenAPI shape of a page that an APIView builds with PageSizePagination."""
    name = serializer_class.__name__.removesuffix("Serializer")
    return inline_serializer(
        name=f"Paginated{name}List",
        fields={
            "count": serializers.IntegerField(),
            "next": serializers.URLField(allow_null=True),
            "previous": serializers.URLField(allow_null=True),
            "results": serializer_class(many=True),
        },
    )


class CreatedCursorPagination(CursorPagination):
    """Newest first by ``created_at`` then ``id``: a cursor names a position, not a page
    number, so rows added while a client walks the pages are neither repeated nor make it
    skip any (they sort before the position it holds)."""

    ordering = ("-created_at", "-id")
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
