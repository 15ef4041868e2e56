from drf_spectacular.utils import inline_serializer
from rest_framework import serializers
from rest_framework.pagination import CursorPagination, PageNumberPagination


class StrictPageSize:
    """A ``page_size`` that is not a whole number from 1 answers 400 naming it, as the
    schema promises an integer (DRF would quietly use the default); sent empty, it is left
    out, as every optional query parameter is (``core.schema``)."""

    def get_page_size(self, request):
        value = request.query_params.get(self.page_size_query_param)
        if value and not (value.isascii() and value.isdigit() and int(value) > 0):
            raise serializers.ValidationError({"page_size": ["A whole number from 1."]})
        return super().get_page_size(request)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"] = {"type": "integer", "minimum": 1}
        return parameters


class PageSizePagination(StrictPageSize, PageNumberPagination):
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


class CreatedCursorPagination(StrictPageSize, CursorPagination):
    """Newest first by ``created_at`` then ``id``: a cursor names a position, not a page
    number, so rows added while a client walks the pages are neither repeated nor make it
    skip any (they sort before the position it holds)."""

    ordering = ("-created_at", "-id")
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
