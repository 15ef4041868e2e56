import time

from django.conf import settings
from django.core.management.base import BaseCommand

from prospects.builds.gpu import gpu_tick_run


class Command(BaseCommand):
    help = "Runs the GPU lifecycle tick once (or every GPU_TICK_SECONDS with --loop)."

    def add_arguments(self, parser):
        parser.add_argument("--loop", action="store_true", help="Tick until interrupted.")

    def handle(self, *args, loop: bool = False, **options):
        while True:
            report = gpu_tick_run()
            if report is None:
                self.stdout.write("Another tick holds the lease.")
            else:
                self.stdout.write(
                    f"provisioned={report.provisioned} released={report.released} "
                    f"orphans_destroyed={report.orphans_destroyed} errors={report.errors}"
                )
            if not loop:
                return
            time.sleep(settings.GPU_TICK_SECONDS)
