"""The bearer token a training droplet reports with: derived from the run id and the
SECRET_KEY, so it is never stored, and a droplet adopted after a lost create answer holds
the same token as the one the tick meant to start."""

from django.utils.crypto import constant_time_compare, salted_hmac

SALT = "prospector.training-run.report"


def report_token(run_id) -> str:
    return salted_hmac(SALT, str(run_id), algorithm="sha256").hexdigest()


def report_token_valid(run_id, token: str) -> bool:
    return bool(token) and constant_time_compare(report_token(run_id), token)
