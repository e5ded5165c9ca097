"""``SODA_CLOUD_HOST=local``: the embedded local Soda Cloud, with no other setting."""

from __future__ import annotations

from pathlib import Path

from reconciler.cloud.session import open_client
from reconciler.cloud.settings import resolve_cloud_settings
from reconciler.config import load_project_config


async def test_local_needs_no_account_and_keeps_its_data(tmp_path: Path) -> None:
    seed = tmp_path / "cloud-seed.yml"
    seed.write_text(
        "datasets:\n"
        "  - {qualified_name: warehouse/db/public/orders, columns: [{name: id, data_type: integer}]}\n"
    )
    (tmp_path / "reconciler.yml").write_text("cloud:\n  seed: cloud-seed.yml\n")
    project = load_project_config(tmp_path / "reconciler.yml", environ={})
    settings = resolve_cloud_settings(project.cloud, environ={"SODA_CLOUD_HOST": "local"})
    contents = "dataset: warehouse/db/public/orders\ncolumns: []\n"
    async with open_client(settings, project) as client:
        assert client.settings.base_url.startswith("http://127.0.0.1:")
        assert await client.list_contracts() == []
        await client.create_contract("warehouse/db/public/orders", contents)
    assert (tmp_path / ".reconciler" / "local-cloud.json").is_file()
    # A second command finds what the first one left.
    async with open_client(settings, project) as client:
        contracts = await client.list_contracts()
    assert [c.contents for c in contracts] == [contents]
