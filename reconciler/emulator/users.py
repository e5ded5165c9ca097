"""A minimal Users API: ``GET /api/v1/users`` lists the people who own the seed's API keys.

Soda's Go CLI probes a key with ``GET /api/v1/users?size=1`` at login and reads
``content[]`` items of ``userId``, ``email``, ``firstName``, ``lastName``, ``fullName`` (the
user shape Soda documents for user groups). A key's owner is its ``creator_id`` (default: the
key id), so a user's ``userId`` is the ``creatorId`` of the versions written with its keys.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from reconciler.emulator.api import Handler
from reconciler.emulator.context import Context, page_body, paging
from reconciler.emulator.responses import json_response
from reconciler.emulator.seed import ApiKey
from reconciler.emulator.service import Emulator

# A domain that never resolves (RFC 2606), for owners whose id is not an address.
EMAIL_DOMAIN = "local-soda-cloud.invalid"

_WORD_BREAK = re.compile(r"[._+-]+")


@dataclass(frozen=True)
class User:
    user_id: str
    email: str
    first_name: str
    last_name: str

    @property
    def full_name(self) -> str:
        return " ".join(part for part in (self.first_name, self.last_name) if part)


def user_of(owner: str) -> User:
    """The user behind an owner id: ``alice.smith@example.com`` is Alice Smith."""
    email = owner if "@" in owner else f"{owner}@{EMAIL_DOMAIN}"
    words = [word.capitalize() for word in _WORD_BREAK.split(email.split("@", 1)[0]) if word]
    first, last = (words[0], " ".join(words[1:])) if words else (owner, "")
    return User(user_id=owner, email=email, first_name=first, last_name=last)


def key_owners(keys: Iterable[ApiKey]) -> list[User]:
    """One user per distinct owner, in the order the seed lists their keys."""
    owners = dict.fromkeys(key.creator for key in keys)
    return [user_of(owner) for owner in owners]


def user_dto(user: User) -> dict[str, Any]:
    return {
        "userId": user.user_id,
        "email": user.email,
        "firstName": user.first_name,
        "lastName": user.last_name,
        "fullName": user.full_name,
    }


async def list_users(em: Emulator, request: Request, ctx: Context) -> Response:
    # Bounds 1..1000 (default 1000, as Soda documents for its other Users list): Soda's CLI
    # asks for size=1 and Soda Cloud answers it, where the contracts list's floor is 10.
    page, size = paging(request, default_size=1000, low=1, high=1000)
    chosen, fields = page_body(key_owners(em.keys.values()), page, size)
    return json_response({"content": [user_dto(user) for user in chosen], **fields})


# (method, template, handler, needs a role that may write): any key may list users.
ROUTES: list[tuple[str, str, Handler, bool]] = [
    ("GET", "/api/v1/users", list_users, False),
]
