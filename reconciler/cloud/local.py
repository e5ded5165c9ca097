"""The embedded local Soda Cloud (``SODA_CLOUD_HOST=local``): no account needed."""

from __future__ import annotations

LOCAL_KEY_ID = "local"
LOCAL_KEY_SECRET = "local-secret"
