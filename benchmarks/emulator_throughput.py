"""How many requests per second the local Soda Cloud serves on this machine.

    python -m benchmarks.emulator_throughput [--contracts 10000] [--clients 4]

Measures list (size 1000 over all contracts), get and publish: first one request at a time
(one keep-alive connection), then from several client threads at once. The emulator runs in
its own process, as ``reconciler emulator serve`` would, so the clients do not share its
interpreter. Rate limits are off: the figures are the emulator's own cost, not Soda Cloud's
limits.
"""

from __future__ import annotations

import argparse
import multiprocessing
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from multiprocessing.synchronize import Event
from typing import Any

import httpx

from reconciler.emulator import ContractSeed, DatasetSeed, EmulatorConfig, Limits, RunningEmulator

CONTENTS = (
    "dataset: {name}\ncolumns:\n  - name: id\n    data_type: integer\n    checks:\n"
    "      - missing:\n  - name: email\n    data_type: varchar\nchecks:\n  - row_count:\n"
)


def seed(count: int) -> EmulatorConfig:
    names = [f"warehouse/analytics/schema_{i // 500}/table_{i:05d}" for i in range(count)]
    return EmulatorConfig(
        datasets=[DatasetSeed(qualified_name=name) for name in names],
        contracts=[ContractSeed(dataset=n, contents=CONTENTS.format(name=n)) for n in names],
        limits=Limits(enabled=False),
    )


def serve(count: int, urls: Any, stop: Event) -> None:
    """The emulator process: seed, serve, report the URL, wait to be told to stop."""
    started = time.perf_counter()
    with RunningEmulator(seed(count)) as cloud:
        urls.put((cloud.url, cloud.auth, time.perf_counter() - started))
        stop.wait()


class Bench:
    def __init__(self, url: str, auth: tuple[str, str], clients: int) -> None:
        self._local = threading.local()
        self.url, self.auth, self.clients = url, auth, clients
        self._opened: list[httpx.Client] = []
        self._lock = threading.Lock()

    def http(self) -> httpx.Client:
        client: httpx.Client | None = getattr(self._local, "client", None)
        if client is None:
            client = httpx.Client(base_url=self.url, auth=self.auth, timeout=60)
            self._local.client = client
            with self._lock:
                self._opened.append(client)
        return client

    def close(self) -> None:
        for client in self._opened:
            client.close()

    def measure(self, label: str, total: int, workers: int, call: Callable[[int], None]) -> None:
        if workers == 1:  # no thread hand-off per request
            started = time.perf_counter()
            for index in range(total):
                call(index)
            elapsed = time.perf_counter() - started
        else:
            with ThreadPoolExecutor(workers) as pool:
                list(pool.map(lambda _: self.http(), range(workers)))  # connect first
                started = time.perf_counter()
                list(pool.map(call, range(total)))
                elapsed = time.perf_counter() - started
        print(f"  {label:34} {total:6d} requests {elapsed:6.2f} s {total / elapsed:8.0f} req/s")


def run(url: str, auth: tuple[str, str], clients: int) -> None:
    bench = Bench(url, auth, clients)
    ids: list[str] = []
    pages = 0
    while True:
        body = bench.http().get("/api/v1/contracts", params={"size": 1000, "page": pages}).json()
        ids.extend(item["id"] for item in body["content"])
        pages += 1
        if body["last"]:
            break

    def list_page(index: int) -> None:
        response = bench.http().get(
            "/api/v1/contracts", params={"size": 1000, "page": index % pages}
        )
        assert response.status_code == 200

    def get_one(index: int) -> None:
        assert bench.http().get(f"/api/v1/contracts/{ids[index % len(ids)]}").status_code == 200

    def publish_one(index: int) -> None:
        name = f"warehouse/analytics/schema_{index % 1000 // 500}/table_{index % 1000:05d}"
        text = CONTENTS.format(name=name) + f"# revision {index}\n"
        response = bench.http().post(
            f"/api/v1/contracts/{ids[index % 1000]}", json={"contents": text}
        )
        assert response.status_code == 200, response.text

    try:
        for workers in (1, clients):
            print(f"{workers} client(s) at a time:")
            bench.measure(f"list (size 1000 of {len(ids)})", 10 * pages, workers, list_page)
            bench.measure("get one contract", 3000, workers, get_one)
            bench.measure("publish a version", 1000, workers, publish_one)
    finally:
        bench.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--contracts", type=int, default=10_000)
    parser.add_argument("--clients", type=int, default=4)
    args = parser.parse_args()
    context = multiprocessing.get_context("spawn")
    urls = context.Queue()
    stop = context.Event()
    server = context.Process(target=serve, args=(args.contracts, urls, stop), daemon=True)
    server.start()
    try:
        url, auth, startup = urls.get(timeout=120)
        print(f"Emulator with {args.contracts} contracts up in {startup:.2f} s on {url}")
        run(url, tuple(auth), args.clients)
    finally:
        stop.set()
        server.join(30)


if __name__ == "__main__":
    main()
