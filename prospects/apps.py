from django.apps import AppConfig


class ProspectsConfig(AppConfig):
    name = "prospects"
    verbose_name = "Prospects"

    def ready(self) -> None:
        # Registers the tasks in every process (web included): the services enqueue them
        # by name (prospects/enqueue.py) and never import them.
        # `check --deploy` for the project's own settings (the bridge secret, logins' client
        # address, the metrics token, cookies).
        import core.checks  # noqa: F401
        import prospects.tasks  # noqa: F401
