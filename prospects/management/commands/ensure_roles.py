from django.core.management.base import BaseCommand

from core.roles import Role
from prospects.demo import ensure_roles


class Command(BaseCommand):
    help = "Creates the role groups (admin, operator, coworker, client); safe to run again."

    def handle(self, *args, **options):
        ensure_roles()
        self.stdout.write(f"Role groups present: {', '.join(role.value for role in Role)}.")
