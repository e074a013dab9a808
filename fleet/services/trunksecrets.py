"""The SIP trunks' Digest secrets at rest: encrypted with Fernet (AES-128-CBC and
HMAC-SHA256) under the ``sip_trunk_secret_key`` setting, decrypted in memory only."""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken

from fleet.core.errors import DomainError, ErrorCode

SETTING = "sip_trunk_secret_key"


class SecretKeyError(ValueError):
    """The key cannot read a stored secret, or is no Fernet key."""


class SecretBox:
    def __init__(self, *, key: str = "") -> None:
        """``key``: 32 bytes in url-safe base64 (``Fernet.generate_key()``); empty: none,
        and storing a secret is refused."""
        try:
            self._fernet = Fernet(key.encode("ascii")) if key else None
        except (ValueError, UnicodeEncodeError) as exc:
            raise SecretKeyError(
                f"{SETTING} is no Fernet key: 32 bytes in url-safe base64 expected"
            ) from exc

    @property
    def ready(self) -> bool:
        return self._fernet is not None

    def seal(self, secret: str) -> str:
        """The secret encrypted, as stored."""
        if self._fernet is None:
            raise DomainError(ErrorCode.TRUNK_SECRET_KEY_MISSING, field="secret", setting=SETTING)
        return self._fernet.encrypt(secret.encode("utf-8")).decode("ascii")

    def open(self, token: str) -> str:
        """A stored secret in clear."""
        if self._fernet is None:
            raise SecretKeyError(f"a trunk secret is stored but {SETTING} is not set")
        try:
            return self._fernet.decrypt(token.encode("ascii")).decode("utf-8")
        except InvalidToken as exc:
            raise SecretKeyError(
                f"a stored trunk secret cannot be read with this {SETTING} (was it changed?)"
            ) from exc
