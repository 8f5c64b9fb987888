"""Re-encrypt every stored secret with the newest key of FIELD_ENCRYPTION_KEYS."""

from django.core.management.base import BaseCommand
from django.db import transaction

from readiness.core.crypto import rotate

# (model label, field) pairs holding Fernet ciphertexts; blank values are skipped.
ENCRYPTED_FIELDS = [
    ("repos.Repository", "token_encrypted"),
    ("repos.Repository", "webhook_secret_encrypted"),
    ("alerts.Channel", "url_encrypted"),
    ("alerts.Channel", "secret_encrypted"),
]


class Command(BaseCommand):
    help = "Re-encrypt stored secrets with the first key of FIELD_ENCRYPTION_KEYS."

    def handle(self, *args, **options):
        from django.apps import apps

        total = 0
        with transaction.atomic():
            for label, field in ENCRYPTED_FIELDS:
                model = apps.get_model(label)
                for obj in model.objects.exclude(**{field: ""}).select_for_update():
                    setattr(obj, field, rotate(getattr(obj, field)))
                    obj.save(update_fields=[field])
                    total += 1
        self.stdout.write(self.style.SUCCESS(f"Re-encrypted {total} secret(s) with the newest key."))
