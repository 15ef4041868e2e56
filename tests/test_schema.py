from django.core.management import call_command


def test_the_openapi_schema_generates_without_warnings(tmp_path):
    # check --deploy runs drf-spectacular's checks too: a warning here is one there.
    call_command("spectacular", "--file", str(tmp_path / "schema.yaml"), "--fail-on-warn")
    assert (tmp_path / "schema.yaml").read_text().startswith("openapi:")


def test_the_api_docs_are_served_from_the_pinned_package_not_a_cdn(client):
    page = client.get("/api/docs/").content.decode()
    assert "drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in page
    assert "cdn" not in page.lower()
    assert "@latest" not in page
