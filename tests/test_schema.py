from django.core.management import call_command


def test_the_openapi_schema_generates_without_warnings(tmp_path):
    # check --deploy runs drf-spectacular's checks too: a warning here is one there.
    call_command("spectacular", "--file", str(tmp_path / "schema.yaml"), "--fail-on-warn")
    assert (tmp_path / "schema.yaml").read_text().startswith("openapi:")
