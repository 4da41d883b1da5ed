"""How CI deliveries are signed: HMAC-SHA256 of the raw body, shared by the webhook and the CLI.

Kept free of web and Slack imports, so ``stationmaster gates submit`` starts quickly.
"""

from __future__ import annotations

import hashlib
import hmac

SIGNATURE_HEADER = "X-Stationmaster-Signature"
DELIVERY_HEADER = "X-Stationmaster-Delivery"


def sign(body: bytes, secret: str) -> str:
    """The ``X-Stationmaster-Signature`` value of ``body``: ``sha256=<hex>``."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify(signature: str, *, digest: str) -> bool:
    """Whether ``signature`` (the header as sent) matches the body's hex ``digest``."""
    return hmac.compare_digest(signature.strip().lower(), "sha256=" + digest)
