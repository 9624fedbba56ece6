from __future__ import annotations

from django.db import models


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class DailyJobStatus(models.TextChoices):
    RUNNING = "running", "Running"
    OK = "ok", "Finished"
    FAILED = "failed", "Failed"


class DailyJobRun(models.Model):
    """One day's run of one scheduled job (``core.scheduler``): at most one row per job and
    day, so two schedulers never run a job twice the same day."""

    job = models.CharField(max_length=60)
    day = models.DateField()
    status = models.CharField(max_length=10, choices=DailyJobStatus.choices)
    attempts = models.PositiveSmallIntegerField(default=1)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    # The command's own summary (counts and ids, never child data) or the error's class
    # and message, cut to a few thousand characters.
    output = models.TextField(blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["job", "day"], name="one_run_a_day")]
        ordering = ["-day", "job"]

    def __str__(self) -> str:
        return f"{self.job} {self.day} {self.status}"
