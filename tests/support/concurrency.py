"""Calling one thing from many threads at once, as many processes would."""

import threading


def run_concurrently(function, times: int) -> tuple[list, list]:
    """Calls ``function`` from ``times`` threads at once; returns (results, errors).

    Each thread closes its own database connection, as a separate process would.
    """
    from django.db import connection

    results, errors = [], []

    def call():
        try:
            results.append(function())
        except Exception as error:  # noqa: BLE001 - handed back to the test to assert on
            errors.append(error)
        finally:
            connection.close()

    workers = [threading.Thread(target=call) for _ in range(times)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return results, errors
