"""`notary demo` run again on the same service: its issuers are used again, not registered
under names that would read the same as the first run's (refused since finding 11)."""

from __future__ import annotations

from pathlib import Path

from notary.cli.demo import register_issuers
from notary.cli.samples import ISSUERS
from notary.client.service import Client
from tests.api.conftest import ADMIN_KEY, ApiEnv, api, api_chain  # noqa: F401 (fixtures)


def test_a_second_demo_uses_the_first_ones_issuers(api: ApiEnv, tmp_path: Path) -> None:  # noqa: F811
    admin = Client("http://testserver", ADMIN_KEY, http=api.client, admin=True)
    first = register_issuers(admin, tmp_path / "first")
    second = register_issuers(admin, tmp_path / "second")
    assert first.keys() == second.keys() == ISSUERS.keys()
    assert all(first[tag] != second[tag] for tag in ISSUERS)  # a new key each time
    listed = [i["name"] for i in api.client.get("/v1/issuers").json()["issuers"]]
    assert all(listed.count(name) == 1 for name, _ in ISSUERS.values())
    for tag, key in second.items():
        assert (tmp_path / "second" / tag / ".api-key").read_text().strip() == key
