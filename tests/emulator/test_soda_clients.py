"""Soda's own clients against a real local Soda Cloud over HTTP, replayed request by request.

**soda-cli** (sodadata/soda-cli, Go): what its contract, job (scan) and auth commands send,
read from ``go/internal/api/{client,contracts,jobs,users}.go`` and ``go/cmd/{auth,contract,
job}.go``: methods, paths, query strings, bodies (``json.Marshal`` of its request structs) and
headers (``SetBasicAuth``, ``Accept``, ``Content-Type``). Each answer is decoded the way its
Go code decodes it: ``encoding/json`` into the structs written down below (a field of another
JSON type is an error, a missing one its zero value, unknown ones are ignored, names match
case-insensitively), after the status checks of ``decode`` and its siblings. Go's sleeps
between polls (2 s for skeletons, 3 s for generations and scans) advance a manual clock.

**soda-core 4.28** (Python): how it polls a remote scan and replays its logs
(``soda_core/common/soda_cloud.py``: ``_poll_remote_scan_finished``, ``_replay_remote_scan_logs``,
``_execute_rest_get``; ``soda_core/common/datetime_conversions.py``: ``convert_str_to_datetime``).

Every step also checks that the emulator routed the request (no 404 for an unknown route).
"""

from __future__ import annotations

import base64
import json
import logging
import re
from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
import yaml

from reconciler.clock import ManualClock
from reconciler.emulator import ApiKey, EmulatorFactory, RunningEmulator
from tests.cloud.support import bulk_seed, contract_text, dataset_name

# -- Go types, as encoding/json decodes into them ------------------------------------------
STRING, INT, BOOL, FLOAT64 = "string", "int", "bool", "float64"
GoType = Any  # one of the names above, ("slice", T), ("ptr", T), or a struct: {json name: T}


def slice_of(element: GoType) -> GoType:
    return ("slice", element)


def ptr(target: GoType) -> GoType:
    return ("ptr", target)


# go/internal/api/contracts.go: Contract, ContractPage, SkeletonStatus, GenerateStatus,
# GenerateDatasetStatus; the wrapper and apiErr structs of decodeContractResponse.
CONTRACT = {
    "id": STRING,
    "datasetId": STRING,
    "datasetQualifiedName": STRING,
    "contents": STRING,
    "created": STRING,
    "lastUpdated": STRING,
}
CONTRACT_PAGE = {
    "content": slice_of(CONTRACT),
    "totalElements": INT,
    "totalPages": INT,
    "number": INT,
    "last": BOOL,
}
CONTRACT_WRAPPER = {"contract": ptr(CONTRACT)}
SKELETON_STATUS = {
    "operationId": STRING,
    "state": STRING,
    "datasetId": STRING,
    "datasetQualifiedName": STRING,
    "created": STRING,
}
GENERATE_STATUS = {
    "operationId": STRING,
    "state": STRING,
    "created": STRING,
    "datasets": slice_of(
        {
            "datasetId": STRING,
            "datasetQualifiedName": STRING,
            "scanId": STRING,
            "scanCloudUrl": STRING,
            "scanState": STRING,
        }
    ),
}
API_ERROR = {"message": STRING}
VERIFY_BODY = {"scanId": STRING, "id": STRING}  # VerifyContract's last resort for the id
# go/internal/api/jobs.go: ScanCheck, ScanStatus, ScanLogEntry, ScanLogsResponse.
SCAN_STATUS = {
    "id": STRING,
    "state": STRING,
    "cloudUrl": STRING,
    "checks": slice_of(
        {
            "id": STRING,
            "name": STRING,
            "type": STRING,
            "column": STRING,
            "definition": STRING,
            "evaluationStatus": STRING,
            "value": ptr(FLOAT64),
        }
    ),
    "failures": INT,
    "warnings": INT,
    "errors": INT,
    "started": STRING,
    "ended": STRING,
    "created": STRING,
}
LOG_ENTRY = {"timestamp": STRING, "level": STRING, "message": STRING}
SCAN_LOGS = {"content": slice_of(LOG_ENTRY), "logs": slice_of(LOG_ENTRY)}
EMPTY_STRUCT: dict[str, GoType] = {}  # CancelScan decodes into struct{}{}
# go/internal/api/users.go: User, UsersResponse.
USERS_RESPONSE = {
    "content": slice_of(
        {
            "userId": STRING,
            "email": STRING,
            "firstName": STRING,
            "lastName": STRING,
            "fullName": STRING,
        }
    )
}
# go/internal/api/jobs.go IsScanTerminal.
TERMINAL = {
    "completed",
    "completedWithErrors",
    "completedWithFailures",
    "completedWithWarnings",
    "canceled",
    "timedOut",
    "failed",
}


def go_zero(go_type: GoType) -> Any:
    if isinstance(go_type, dict):
        return {name: go_zero(field) for name, field in go_type.items()}
    kind = go_type if isinstance(go_type, str) else go_type[0]
    return {STRING: "", INT: 0, BOOL: False, FLOAT64: 0.0, "slice": [], "ptr": None}[kind]


def go_unmarshal(value: Any, go_type: GoType, where: str = "body") -> Any:
    """What ``json.Unmarshal`` leaves in a value of ``go_type``; an error is an assertion."""
    if value is None:  # JSON null leaves the zero value, for every Go type
        return go_zero(go_type)
    if isinstance(go_type, dict):
        assert isinstance(value, dict), f"{where}: cannot unmarshal {value!r} into a struct"
        by_lower = {key.lower(): key for key in value}
        return {
            name: go_unmarshal(value[key], field, f"{where}.{name}")
            if (key := name if name in value else by_lower.get(name.lower())) is not None
            else go_zero(field)
            for name, field in go_type.items()
        }
    kind = go_type if isinstance(go_type, str) else go_type[0]
    if kind == "ptr":
        return go_unmarshal(value, go_type[1], where)
    if kind == "slice":
        assert isinstance(value, list), f"{where}: cannot unmarshal {value!r} into a slice"
        return [go_unmarshal(item, go_type[1], f"{where}[{i}]") for i, item in enumerate(value)]
    number = isinstance(value, (int, float)) and not isinstance(value, bool)
    fits = {
        STRING: isinstance(value, str),
        INT: number and isinstance(value, int),  # Go refuses 1.5 (and 1.0) into an int
        FLOAT64: number,
        BOOL: isinstance(value, bool),
    }[kind]
    assert fits, f"{where}: cannot unmarshal {value!r} into Go {kind}"
    return value


def go_marshal(body: dict[str, Any]) -> bytes:
    """``json.Marshal``: compact, struct field order, ``omitempty`` fields already left out,
    and <, >, & escaped as Go does by default."""
    text = json.dumps(body, separators=(",", ":"), ensure_ascii=False)
    for char, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026")):
        text = text.replace(char, escaped)
    return text.encode()


def last_segment(response: httpx.Response) -> str:
    """contracts.go extractOperationID: the last path segment of ``Location``."""
    location = str(response.headers.get("Location", ""))
    return location.rstrip("/").split("/")[-1]


class GoExit(Exception):
    """An ``output.ExitError`` of soda-cli: the command ends with this exit code and message."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(f"exit {code}: {message}")
        self.code = code
        self.message = message


class SodaCli:
    """soda-cli's ``api.Client`` (client.go ``New``, ``get``, ``post``) and the commands that use
    it, on a manual clock standing in for Go's ``time.Sleep``."""

    def __init__(self, cloud: RunningEmulator, key: tuple[str, str], clock: ManualClock) -> None:
        self.cloud = cloud
        self.clock = clock
        token = base64.b64encode(f"{key[0]}:{key[1]}".encode()).decode()
        # Go's net/http adds User-Agent and Accept-Encoding; SetBasicAuth the Authorization.
        self.http = httpx.Client(
            base_url=cloud.url,
            headers={
                "User-Agent": "Go-http-client/1.1",
                "Accept-Encoding": "gzip",
                "Authorization": f"Basic {token}",
                "Accept": "application/json",
            },
        )

    def close(self) -> None:
        self.http.close()

    # client.go get(): the query is url.Values.Encode(), keys sorted.
    def get(self, path: str, params: dict[str, str] | None = None) -> httpx.Response:
        query = f"?{urlencode(sorted(params.items()))}" if params else ""
        return self._routed(self.http.get(path + query))

    # client.go post(): json.Marshal(body) with Content-Type and Accept application/json.
    def post(self, path: str, body: dict[str, Any]) -> httpx.Response:
        return self._routed(
            self.http.post(
                path, content=go_marshal(body), headers={"Content-Type": "application/json"}
            )
        )

    def _routed(self, response: httpx.Response) -> httpx.Response:
        assert self.cloud.admin.stats().count("unmatched") == 0, (
            f"{response.request.method} {response.request.url.path}: no such route"
        )
        return response

    # client.go decode(): the status checks, then json.Unmarshal unless the body is empty.
    @staticmethod
    def decode(response: httpx.Response, target: GoType) -> Any:
        if response.status_code in (401, 403):
            raise GoExit(3, "authentication failed")
        if response.status_code == 429:
            raise GoExit(2, "rate limit exceeded")
        if response.status_code >= 400:
            raise GoExit(2, SodaCli._message(response))
        if not response.content:
            return go_zero(target)
        return go_unmarshal(response.json(), target)

    @staticmethod
    def _message(response: httpx.Response) -> str:
        try:
            message: str = go_unmarshal(response.json(), API_ERROR)["message"]
        except (ValueError, AssertionError):
            message = ""
        return message or f"API error {response.status_code}"

    # client.go Ping() (auth login, auth status): any status below 400 is a working key.
    def ping(self) -> None:
        response = self.get("/api/v1/users", {"size": "1"})
        if response.status_code in (401, 403):
            raise GoExit(3, "authentication failed")
        if response.status_code >= 400:
            raise GoExit(2, f"API error {response.status_code}")

    # users.go ListUsers.
    def list_users(self) -> Any:
        return self.decode(self.get("/api/v1/users"), USERS_RESPONSE)

    # contracts.go ListContracts (contract list: page 0, size 100).
    def list_contracts(self, page: int, size: int = 100) -> Any:
        params = {"size": str(size), "page": str(page)}
        return self.decode(self.get("/api/v1/contracts", params), CONTRACT_PAGE)

    # contracts.go FindContractByDataset: pages of 100 until `last`.
    def find_contract(self, qualified_name: str) -> Any:
        page = 0
        while True:
            listed = self.list_contracts(page)
            for contract in listed["content"]:
                if contract["datasetQualifiedName"] == qualified_name:
                    return contract
            if listed["last"]:
                return None
            page += 1

    # contracts.go decodeContractResponse: the wrapped form when it has an id, else flat.
    def decode_contract(self, response: httpx.Response) -> Any:
        if response.status_code in (401, 403):
            raise GoExit(3, "authentication failed")
        if response.status_code >= 400:
            raise GoExit(2, self._message(response))
        body = response.json()
        wrapped = go_unmarshal(body, CONTRACT_WRAPPER)["contract"]
        if wrapped is not None and wrapped["id"]:
            return wrapped
        return go_unmarshal(body, CONTRACT)

    # contract.go contractPushCmd (and runContractVerifyByFile): the file's `dataset:`, then
    # UpdateContract (POST /api/v1/contracts/{id}) or CreateContract (POST /api/v1/contracts),
    # both with ContractRequest{datasetQualifiedName, contents} (datasetId omitempty).
    def push(self, contents: str) -> Any:
        qualified_name = yaml.safe_load(contents)["dataset"]
        body = {"datasetQualifiedName": qualified_name, "contents": contents}
        existing = self.find_contract(qualified_name)
        if existing is not None:
            return self.decode_contract(self.post(f"/api/v1/contracts/{existing['id']}", body))
        return self.decode_contract(self.post("/api/v1/contracts", body))

    # contracts.go decodeAsyncOperation and extractOperationID: the Location's last segment.
    def operation_id(self, response: httpx.Response) -> str:
        if response.status_code >= 400:
            raise GoExit(3 if response.status_code == 401 else 2, self._message(response))
        return last_segment(response)

    # contract.go runContractCreateSkeleton: CreateSkeleton, then sleep 2 s and
    # GetSkeletonStatus until completed, then FindContractByDataset.
    def create_skeleton(self, qualified_name: str) -> Any:
        path = "/api/v1/contracts/actions/createSkeleton"
        operation = self.operation_id(self.post(path, {"datasetQualifiedName": qualified_name}))
        assert operation
        for _ in range(100):
            self.clock.advance(2)
            status = self.decode(self.get(f"{path}/{operation}"), SKELETON_STATUS)
            if status["state"] == "completed":
                return self.find_contract(qualified_name)
            if status["state"] in ("failed", "canceled"):
                raise GoExit(2, f"skeleton generation {status['state']}")
        raise AssertionError("the skeleton never completed")

    # contract.go runContractCreateCopilot: GenerateContract, then sleep 3 s and
    # GetGenerateStatus until completed, then FindContractByDataset.
    def create_copilot(self, qualified_name: str) -> tuple[Any, Any]:
        path = "/api/v1/contracts/actions/generate"
        operation = self.operation_id(self.post(path, {"datasetQualifiedNames": [qualified_name]}))
        assert operation
        for _ in range(100):
            self.clock.advance(3)
            status = self.decode(self.get(f"{path}/{operation}"), GENERATE_STATUS)
            if status["state"] == "completed":
                return status, self.find_contract(qualified_name)
            if status["state"] in ("failed", "canceled"):
                raise GoExit(2, f"AI generation {status['state']}")
        raise AssertionError("the generation never completed")

    # contracts.go VerifyContract: POST .../verify with {}; the scan id from X-Soda-Scan-Id,
    # else the Location's last segment, else the body's scanId or id.
    def verify(self, contract_id: str) -> str:
        response = self.post(f"/api/v1/contracts/{contract_id}/verify", {})
        if response.status_code in (401, 403):
            raise GoExit(3, "authentication failed")
        if response.status_code >= 400:
            raise GoExit(2, self._message(response))
        location = last_segment(response)
        assert location == response.headers["X-Soda-Scan-Id"]  # both ways give one id
        scan_id = str(response.headers.get("X-Soda-Scan-Id", "")) or location
        if not scan_id and response.content:
            found = go_unmarshal(response.json(), VERIFY_BODY)
            scan_id = str(found["scanId"] or found["id"])
        if not scan_id:
            raise GoExit(2, "verify request succeeded but no scan ID was returned")
        return scan_id

    # contract.go pollAndDisplayVerification: every 3 s GetScanStatus until IsScanTerminal;
    # then the exit code from the final state and the checks' evaluationStatus.
    def wait_scan(self, scan_id: str) -> tuple[Any, int, int]:
        for polls in range(1, 201):  # its 10 minute timeout
            self.clock.advance(3)
            status = self.decode(self.get(f"/api/v1/scans/{scan_id}"), SCAN_STATUS)
            if status["state"] in TERMINAL:
                return status, self._verify_exit(status), polls
        raise AssertionError("the scan never ended")

    @staticmethod
    def _verify_exit(status: Any) -> int:
        failed = sum(1 for check in status["checks"] if check["evaluationStatus"] == "fail")
        state = status["state"]
        if state in ("completed", "completedWithWarnings"):
            return 1 if failed else 0
        return 1 if state == "completedWithFailures" else 2

    # jobs.go GetScanLogs (job logs): no query; Content, else Logs.
    def scan_logs(self, scan_id: str) -> list[Any]:
        logs = self.decode(self.get(f"/api/v1/scans/{scan_id}/logs"), SCAN_LOGS)
        return list(logs["content"] or logs["logs"])

    # jobs.go CancelScan (job cancel): POST .../actions/cancel with {}, decoded into struct{}.
    def cancel(self, scan_id: str) -> None:
        self.decode(self.post(f"/api/v1/scans/{scan_id}/actions/cancel", {}), EMPTY_STRUCT)


ADMIN = ("ci", "ci-secret")
VIEWER = ("ro", "ro-secret")


@pytest.fixture
def cloud(start_emulator: EmulatorFactory, clock: ManualClock) -> RunningEmulator:
    # 150 datasets, 120 with a contract: soda-cli's pages of 100 take two requests.
    keys = [
        ApiKey(id=ADMIN[0], secret=ADMIN[1]),
        ApiKey(id=VIEWER[0], secret=VIEWER[1], role="viewer"),
    ]
    return start_emulator(bulk_seed(150, contracts=120, api_keys=keys), clock=clock)


@pytest.fixture
def cli(cloud: RunningEmulator, clock: ManualClock) -> Iterator[SodaCli]:
    client = SodaCli(cloud, ADMIN, clock)
    yield client
    client.close()


def test_sodacli_auth_login_probes_the_key_with_the_users_list(
    cloud: RunningEmulator, cli: SodaCli, clock: ManualClock
) -> None:
    cli.ping()  # auth login and auth status: exit 0
    viewer = SodaCli(cloud, VIEWER, clock)
    wrong = SodaCli(cloud, (ADMIN[0], "not-the-secret"), clock)
    try:
        viewer.ping()  # any user of the organization may list users
        with pytest.raises(GoExit) as refused:
            wrong.ping()
        assert refused.value.code == 3
    finally:
        viewer.close()
        wrong.close()
    users = cli.list_users()["content"]
    assert [user["userId"] for user in users] == [ADMIN[0], VIEWER[0]]
    assert all(user["email"] and user["fullName"] for user in users)


def test_sodacli_contract_list_pull_push_and_diff(cloud: RunningEmulator, cli: SodaCli) -> None:
    listed = cli.list_contracts(0)  # contract list
    assert (len(listed["content"]), listed["totalElements"], listed["last"]) == (100, 120, False)
    on_page_two = dataset_name(110)
    pulled = cli.find_contract(on_page_two)  # contract pull: found on the second page
    assert pulled is not None
    assert pulled["contents"] == contract_text(on_page_two)

    changed = contract_text(on_page_two, threshold=3)
    updated = cli.push(changed)  # contract push of a dataset with a contract: an update
    assert (updated["id"], updated["contents"]) == (pulled["id"], changed)
    assert cloud.admin.state().contract_for(on_page_two).versions == 2  # type: ignore[union-attr]
    new = dataset_name(130)
    created = cli.push(contract_text(new))  # ... and of one without: a create
    assert (created["datasetQualifiedName"], created["contents"]) == (new, contract_text(new))
    assert cli.find_contract(new)["contents"] == contract_text(new)  # contract diff: no change
    assert cli.find_contract(dataset_name(140)) is None  # pull of a dataset without one

    with pytest.raises(GoExit) as refused:
        cli.push(f"dataset: {new}\ncolumns: 3\n")
    assert refused.value.code == 2
    assert "columns" in refused.value.message  # its message is the API's `message`


def test_sodacli_contract_create_by_skeleton_and_by_copilot(cli: SodaCli) -> None:
    skeleton = cli.create_skeleton(dataset_name(140))  # contract create --mode skeleton
    assert skeleton is not None
    assert "columns:" in skeleton["contents"]
    status, generated = cli.create_copilot(dataset_name(141))  # contract create --mode copilot
    assert generated is not None
    (entry,) = status["datasets"]
    assert entry["datasetQualifiedName"] == dataset_name(141)
    assert entry["scanId"]
    assert entry["scanCloudUrl"].endswith(entry["scanId"])
    with pytest.raises(GoExit) as refused:
        cli.create_skeleton(dataset_name(0))  # it has a contract already
    assert "already has a contract" in refused.value.message


@pytest.mark.parametrize(
    ("outcome", "exit_code"),
    [("completed", 0), ("completedWithWarnings", 0), ("completedWithFailures", 1), ("failed", 2)],
)
def test_sodacli_contract_verify_polls_the_scan_and_reads_its_checks(
    cloud: RunningEmulator, cli: SodaCli, outcome: str, exit_code: int
) -> None:
    dataset = dataset_name(7)
    cloud.admin.set_scan_outcomes({dataset: outcome})  # type: ignore[dict-item]
    contract = cli.find_contract(dataset)  # contract verify <dqn>
    scan_id = cli.verify(contract["id"])
    status, code, polls = cli.wait_scan(scan_id)
    assert (status["id"], status["state"], code) == (scan_id, outcome, exit_code)
    assert polls == 4  # every 3 s, for a scan of 10 s
    assert status["cloudUrl"]
    assert status["created"]
    assert status["ended"]
    assert [check["evaluationStatus"] for check in status["checks"]] == [
        {"completed": "pass", "completedWithWarnings": "warn"}.get(
            outcome, "fail" if outcome == "completedWithFailures" else "notEvaluated"
        )
    ]
    assert status["failures"] == (1 if outcome == "completedWithFailures" else 0)


def test_sodacli_contract_verify_of_a_file_pushes_it_first(
    cloud: RunningEmulator, cli: SodaCli
) -> None:
    dataset = dataset_name(131)  # no contract yet: runContractVerifyByFile creates it
    pushed = cli.push(contract_text(dataset))
    status, code, _ = cli.wait_scan(cli.verify(pushed["id"]))
    assert (status["state"], code) == ("completed", 0)


def test_sodacli_job_logs_and_cancel(cli: SodaCli, clock: ManualClock) -> None:
    finished = cli.verify(cli.find_contract(dataset_name(1))["id"])
    cli.wait_scan(finished)
    logs = cli.scan_logs(finished)  # job logs
    assert logs
    assert all(entry["timestamp"] and entry["message"] for entry in logs)
    assert {entry["level"] for entry in logs} <= {"debug", "info", "warning", "error"}

    queued = cli.verify(cli.find_contract(dataset_name(2))["id"])
    cli.cancel(queued)  # job cancel of a queuing scan: canceled at once
    assert cli.decode(cli.get(f"/api/v1/scans/{queued}"), SCAN_STATUS)["state"] == "canceled"
    running = cli.verify(cli.find_contract(dataset_name(3))["id"])
    clock.advance(3)
    cli.cancel(running)  # ... of an executing one: requested, then canceled
    status, code, _ = cli.wait_scan(running)
    assert (status["state"], code) == ("canceled", 2)
    with pytest.raises(GoExit) as refused:
        cli.cancel(running)  # ... of a finished one: the API's message
    assert refused.value.code == 2
    assert "only a queuing or executing scan" in refused.value.message


# -- soda-core 4.28 ------------------------------------------------------------------------
SODA_CORE_STATES = {  # RemoteScanStatus: value -> is_final_state
    "queuing": False,
    "executing": False,
    "cancelationRequested": False,
    "timeOutRequested": False,
    "canceled": True,
    "timedOut": True,
    "failed": True,
    "completedWithErrors": True,
    "completedWithFailures": True,
    "completedWithWarnings": True,
    "completed": True,
}


def soda_core_instant(text: str) -> datetime | None:
    """convert_str_to_datetime: a ``...Z`` instant loses its fraction, then fromisoformat."""
    try:
        if text.endswith("Z"):
            text = re.sub(r"\.(\d+)$", "", text[:-1]) + "+00:00"
        return datetime.fromisoformat(text)
    except ValueError:
        return None


@pytest.mark.parametrize("start", [0.0, 0.25, 0.9996])
def test_soda_core_polls_a_remote_scan_once_per_state_and_replays_its_logs(
    cloud: RunningEmulator, cli: SodaCli, clock: ManualClock, start: float
) -> None:
    clock.advance(start)
    scan_id = cli.verify(cli.find_contract(dataset_name(5))["id"])  # soda-core's own start
    token = base64.b64encode(f"{ADMIN[0]}:{ADMIN[1]}".encode()).decode()
    # _execute_rest_get: the default headers (User-Agent, X-Soda-Backpressure), Basic auth.
    headers = {
        "User-Agent": "soda-core/4.28.0",
        "X-Soda-Backpressure": "1",
        "Authorization": f"Basic {token}",
        "Accept": "application/json",
    }
    states: list[str] = []
    with httpx.Client(base_url=f"{cloud.url}/api", headers=headers) as http:
        for _ in range(20):
            response = http.get(f"/v1/scans/{scan_id}")
            assert response.is_success, response.text  # `if not response`: sleep 5, retry
            body = response.json()
            assert isinstance(body, dict)
            assert isinstance(body.get("contractDatasetCloudUrl"), str)
            states.append(body["state"])
            if SODA_CORE_STATES[body["state"]]:  # an unknown state would raise here
                break
            hint = response.headers.get("X-Soda-Next-Poll-Time")
            assert hint is not None
            next_poll = soda_core_instant(hint)
            assert next_poll is not None, hint  # else it waits 60 s
            wait = (next_poll - clock.now()).total_seconds()
            # With no positive wait soda-core polls again at once, into the rate limit.
            assert wait > 0, (hint, clock.now())
            clock.advance(wait)
        logs = http.get(f"/v1/scans/{scan_id}/logs").json()["content"]
    assert states == ["queuing", "executing", "completed"]  # one poll per state
    assert cloud.admin.stats().throttled == {}
    for line in logs:  # _replay_remote_scan_logs
        assert isinstance(logging.getLevelName(line["level"].upper()), int), line
        instant = soda_core_instant(line["timestamp"])
        assert instant is not None
        assert instant.tzinfo == timezone.utc
        assert isinstance(line["message"], str)
