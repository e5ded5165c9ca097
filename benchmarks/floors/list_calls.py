"""The floor of reading Soda Cloud for a plan: every page of the contract list (size 1000),
each decoded from JSON, one after the other over one connection.

    python -m benchmarks.floors.list_calls URL KEY_ID KEY_SECRET
"""

from __future__ import annotations

import sys

import httpx

PAGE_SIZE = 1000


def main(url: str, key_id: str, secret: str) -> int:
    calls = contracts = 0
    with httpx.Client(base_url=url, auth=(key_id, secret), timeout=600) as client:
        page = 0
        while True:
            answer = client.get("/api/v1/contracts", params={"size": PAGE_SIZE, "page": page})
            answer.raise_for_status()
            body = answer.json()
            calls += 1
            contracts += len(body["content"])
            if body.get("last", True) or not body["content"]:
                break
            page += 1
    print(calls, contracts)
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:4]))
