import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command

from core.roles import Role


@pytest.mark.django_db
def test_role_groups_are_created_once():
    call_command("ensure_roles")
    call_command("ensure_roles")
    assert sorted(Group.objects.values_list("name", flat=True)) == sorted(Role)
