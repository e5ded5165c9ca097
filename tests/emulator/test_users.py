"""``GET /api/v1/users``: the owners of the seed's API keys, one user each."""

from __future__ import annotations

import httpx

from reconciler.clock import ManualClock
from reconciler.emulator import ApiKey, EmulatorFactory
from reconciler.emulator.samples import CUSTOMERS, sample_config
from reconciler.emulator.users import EMAIL_DOMAIN, user_of


def test_each_key_owner_is_listed_once_in_seed_order(
    start_emulator: EmulatorFactory, clock: ManualClock
) -> None:
    keys = [
        ApiKey(id="ci", secret="ci-secret", creator_id="jane.doe@example.com"),
        ApiKey(id="ro", secret="ro-secret", role="viewer"),
        ApiKey(id="ci-2", secret="ci-2-secret", creator_id="jane.doe@example.com"),
    ]
    cloud = start_emulator(sample_config().model_copy(update={"api_keys": keys}), clock=clock)
    with httpx.Client(base_url=cloud.url, auth=("ro", "ro-secret")) as http:
        users = http.get("/api/v1/users").json()["content"]
    assert users == [
        {
            "userId": "jane.doe@example.com",
            "email": "jane.doe@example.com",
            "firstName": "Jane",
            "lastName": "Doe",
            "fullName": "Jane Doe",
        },
        {
            "userId": "ro",
            "email": f"ro@{EMAIL_DOMAIN}",
            "firstName": "Ro",
            "lastName": "",
            "fullName": "Ro",
        },
    ]


def test_a_users_id_is_the_creator_id_of_the_versions_its_key_writes(
    start_emulator: EmulatorFactory, clock: ManualClock
) -> None:
    keys = [ApiKey(id="ci", secret="ci-secret", creator_id="robot-ci")]
    cloud = start_emulator(sample_config().model_copy(update={"api_keys": keys}), clock=clock)
    with httpx.Client(base_url=cloud.url, auth=("ci", "ci-secret")) as http:
        listed = http.get("/api/v1/contracts", params={"datasetQualifiedName": CUSTOMERS})
        contract = listed.json()["content"][0]
        path = f"/api/v1/contracts/{contract['id']}"
        assert http.post(path, json={"contents": contract["contents"]}).status_code == 200
        newest = http.get(f"{path}/versions").json()["content"][0]
        (user,) = http.get("/api/v1/users").json()["content"]
    assert newest["creatorId"] == user["userId"] == "robot-ci"
    assert user["fullName"] == "Robot Ci"


def test_the_default_key_is_owned_by_one_local_user() -> None:
    local = user_of("local")
    assert (local.email, local.full_name) == (f"local@{EMAIL_DOMAIN}", "Local")
