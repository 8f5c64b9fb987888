import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command

from readiness.core.crypto import DecryptionError, decrypt
from readiness.repos import services
from tests.factories import RepositoryFactory

pytestmark = pytest.mark.django_db


def test_key_rotation_re_encrypts_with_the_new_key(settings):
    old_key = settings.FIELD_ENCRYPTION_KEYS[0]
    repo = RepositoryFactory()
    services.repository_set_token(repository=repo, token="tok-123")
    new_key = Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [new_key, old_key]
    call_command("rotate_encryption_keys")
    repo.refresh_from_db()
    settings.FIELD_ENCRYPTION_KEYS = [new_key]  # the old key is dropped after rotation
    assert decrypt(repo.token_encrypted) == "tok-123"
    settings.FIELD_ENCRYPTION_KEYS = [old_key]
    with pytest.raises(DecryptionError):
        decrypt(repo.token_encrypted)
