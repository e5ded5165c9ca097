"""A small built-in seed: two data sources, a handful of datasets, one contract.

The default of the test fixtures; the demo has its own, richer seed (``demo/cloud-seed.yml``).
"""

from __future__ import annotations

from reconciler.emulator.seed import Column, ContractSeed, DatasetSeed, EmulatorConfig

CUSTOMERS = "warehouse/analytics/public/customers"
ORDERS = "warehouse/analytics/public/orders"
EVENTS = "warehouse/analytics/staging/events"
RAW_CLICKS = "lakehouse/bronze/raw_clicks"
SESSIONS = "lakehouse/silver/sessions"

CUSTOMERS_CONTRACT = f"""\
dataset: {CUSTOMERS}
columns:
  - name: id
    data_type: integer
    checks:
      - missing:
  - name: email
    data_type: varchar
  - name: country
    data_type: varchar
checks:
  - row_count:
"""


def _columns(*pairs: tuple[str, str]) -> list[Column]:
    return [Column(name=name, data_type=data_type) for name, data_type in pairs]


def sample_config() -> EmulatorConfig:
    return EmulatorConfig(
        datasets=[
            DatasetSeed(
                qualified_name=CUSTOMERS,
                columns=_columns(("id", "integer"), ("email", "varchar"), ("country", "varchar")),
                owner="data-team@example.com",
            ),
            DatasetSeed(
                qualified_name=ORDERS,
                columns=_columns(
                    ("id", "integer"),
                    ("customer_id", "integer"),
                    ("amount", "decimal"),
                    ("ordered_at", "timestamp"),
                ),
            ),
            DatasetSeed(
                qualified_name=EVENTS,
                columns=_columns(("event_id", "varchar"), ("payload", "json")),
            ),
            DatasetSeed(
                qualified_name=RAW_CLICKS,
                connected=False,
                columns=_columns(("click_id", "varchar"), ("url", "varchar")),
            ),
            DatasetSeed(
                qualified_name=SESSIONS,
                columns=_columns(
                    ("session_id", "varchar"), ("user_id", "integer"), ("started_at", "timestamp")
                ),
            ),
        ],
        contracts=[ContractSeed(dataset=CUSTOMERS, contents=CUSTOMERS_CONTRACT)],
    )
