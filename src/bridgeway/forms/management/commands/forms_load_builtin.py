"""Load the XLSForm workbooks shipped in ``bridgeway/forms/builtin/``.

Idempotent: a workbook already stored with the same checksum adds nothing, so the command
can run on every deployment.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from bridgeway.core import context
from bridgeway.forms.services import forms_load_builtin
from bridgeway.forms.xlsform import FormRejected


class Command(BaseCommand):
    help = "Load (or update) the built-in assessment and plan forms."

    def handle(self, *args: Any, **options: Any) -> None:
        token = context.set_current(context.RequestContext(channel="cli"))
        try:
            results = forms_load_builtin()
        except FormRejected as exc:
            raise CommandError("\n".join(str(p) for p in exc.problems)) from exc
        finally:
            context.reset(token)
        for result in results:
            version = result.version
            state = "loaded" if result.created else "unchanged"
            self.stdout.write(f"{version.form.form_id} {version.version}: {state}")
            for warning in result.warnings:
                self.stdout.write(f"  warning: {warning}")
