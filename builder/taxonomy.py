"""The situation vocabulary shared by canon, workflows and the pipeline.

A situation is (archetype, thread state, template key). Archetypes and states live here,
below prospects, so the workflow editor can offer them without importing prospects.
"""

from django.db import models


class Archetype(models.TextChoices):
    NEW_CONTACT = "new_contact", "New contact"
    REFERRAL = "referral", "Referral"
    RETURNING = "returning", "Returning"


class ThreadState(models.TextChoices):
    NEW = "new", "New"
    ENGAGED = "engaged", "Engaged"
    BOOKED = "booked", "Booked"
    CLOSED = "closed", "Closed"
