"""The Soda Cloud client: settings, rate limits, retries, DTOs and the client itself."""

from reconciler.cloud.client import Created, Published, SodaCloudClient
from reconciler.cloud.http import CallStats, Wait
from reconciler.cloud.ratelimit import DOCUMENTED_LIMITS, Limit, Operation
from reconciler.cloud.settings import CloudFlags, CloudSettings, Secret, resolve_cloud_settings

__all__ = [
    "DOCUMENTED_LIMITS",
    "CallStats",
    "CloudFlags",
    "CloudSettings",
    "Created",
    "Limit",
    "Operation",
    "Published",
    "Secret",
    "SodaCloudClient",
    "Wait",
    "resolve_cloud_settings",
]
