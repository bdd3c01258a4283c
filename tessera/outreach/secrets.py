"""Channel credentials at rest: a JSON object encrypted with Fernet.

The key material is the installation's ``TESSERA_SECRET_KEY`` (the same variable the identity
layer signs sessions with, tessera/auth/settings.py) or the content of the file named by
``TESSERA_SECRET_KEY_FILE``. The Fernet key is derived from it with HKDF-SHA256 under an
info string of its own, so the session-signing secret and the credential key never coincide
and any secret string works. Without either source encryption refuses to work (the auth
layer's fallback secret lives in the same database as the ciphertext, which would protect
nothing); decrypting after the secret changed says so plainly."""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from tessera.outreach.errors import SecretKeyError

__all__ = ["encrypt_secrets", "decrypt_secrets", "generate_key"]


def generate_key() -> str:
    return Fernet.generate_key().decode()


def _fernet() -> Fernet:
    key = os.environ.get("TESSERA_SECRET_KEY", "").strip()
    path = os.environ.get("TESSERA_SECRET_KEY_FILE", "").strip()
    if not key and path:
        try:
            key = Path(path).read_text().strip()
        except OSError as exc:
            raise SecretKeyError(f"The key file {path} cannot be read ({exc}).",
                                 f"无法读取密钥文件 {path}（{exc}）。") from exc
    if not key:
        raise SecretKeyError("No secret key is configured, so credentials cannot be stored.",
                             "未配置密钥，无法保存凭据。")
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                   info=b"tessera.outreach.channel-credentials").derive(key.encode())
    return Fernet(base64.urlsafe_b64encode(derived))


def encrypt_secrets(values: dict[str, Any]) -> str | None:
    if not values:
        return None
    return _fernet().encrypt(json.dumps(values, ensure_ascii=False).encode()).decode()


def decrypt_secrets(token: str | None) -> dict[str, Any]:
    if not token:
        return {}
    try:
        return dict(json.loads(_fernet().decrypt(token.encode())))
    except InvalidToken as exc:
        raise SecretKeyError("Stored credentials cannot be decrypted with the current key "
                             "(was the key changed?).",
                             "当前密钥无法解密已保存的凭据（密钥是否已更换？）。") from exc
