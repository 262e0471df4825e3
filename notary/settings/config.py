"""Service settings from NOTARY_* environment variables (and an optional .env file).

Nothing here is read at import time: callers build a `Settings()` when they start,
so tests can pass their own.
"""

from __future__ import annotations

import ipaddress
from pathlib import Path

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

LOCAL_RPC_URL = "http://127.0.0.1:8545"


class Settings(BaseSettings):
    """Everything an operator can set; defaults are safe only for a local chain."""

    model_config = SettingsConfigDict(env_prefix="NOTARY_", env_file=".env", extra="ignore")

    data_dir: Path = Field(default=Path(".notary"), description="keys, local chain, SQLite")
    database_url: str | None = Field(default=None, description="default: SQLite in data_dir")
    rpc_url: str = LOCAL_RPC_URL
    rpc_urls: str | None = Field(
        default=None,
        description="several endpoints of one chain, comma-separated, tried in order "
        "(reads fail over; the worker sends through the first, checks inclusion through "
        "the next); default: NOTARY_RPC_URL alone",
    )
    rpc_quorum: int = Field(
        default=1, ge=1, description="endpoints that must agree on a verification"
    )
    contract_address: str | None = Field(default=None, description="default: data_dir deployment")
    host: str = "127.0.0.1"
    port: int = 8000
    admin_key: SecretStr | None = None
    anchor_key: SecretStr | None = None
    anchor_keystore: Path | None = None
    anchor_keystore_password: SecretStr | None = None
    batch_max: int = Field(default=10_000, ge=1, le=1_000_000)
    batch_interval: float = Field(default=30.0, gt=0, description="seconds")
    confirmations: int = Field(default=0, ge=0)
    stream_interval: int = Field(
        default=300, ge=1, le=86_400, description="seconds per monitoring interval of new stations"
    )
    stream_min_interval: int = Field(
        default=60,
        ge=1,
        le=86_400,
        description="shortest interval a station may be registered with, in seconds: each "
        "interval is one anchored document (below 60 for demos and tests only)",
    )
    stream_backfill_window: int = Field(
        default=3_600,
        ge=0,
        le=86_400,
        description="seconds a station registered with its first interval in the past keeps "
        "its intervals open for its history; none of them is sealed before",
    )
    max_fee_gwei: float = Field(default=200.0, gt=0)
    # The HTTP service (api/).
    service_id: str = Field(default="notary", min_length=1, max_length=200)
    service_key_file: Path | None = Field(default=None, description="default: data_dir/keys")
    public_url: str | None = Field(default=None, description="base of links; default host:port")
    public_rpc_url: str | None = Field(
        default=None,
        description="an RPC endpoint browsers may call (CORS) to check the registry themselves",
    )
    max_upload_bytes: int = Field(default=50 * 1024 * 1024, ge=1)
    keep_uploads_dir: Path | None = Field(default=None, description="keep uploaded files here")
    rate_limit_per_s: float = Field(default=100.0, gt=0, description="per API key")
    rate_limit_burst: int = Field(default=200, ge=1)
    public_rate_limit_per_s: float = Field(default=50.0, gt=0, description="per client IP")
    public_rate_limit_burst: int = Field(default=100, ge=1)
    trusted_proxies: str = Field(
        default="",
        description="comma-separated addresses or networks (CIDR) of the reverse proxies "
        "whose X-Forwarded-For / X-Forwarded-Proto are believed ('*': any peer); empty: "
        "none, the client is the peer of the connection",
    )
    anchor_promise_margin: float = Field(default=300.0, ge=0, description="seconds")
    rpc_timeout: float = Field(
        default=10.0,
        gt=0,
        description="seconds to wait for the RPC endpoint's answer before a call fails",
    )
    chain_poll_interval: float = Field(
        default=0.5,
        ge=0,
        description="seconds between latest-block polls; verification answers are as of "
        "that block, so a revocation shows up within this interval (0: ask every time)",
    )
    signer_max_age: float = Field(
        default=10.0,
        ge=0,
        description="seconds an issuer's signing keys read from the chain are used for when "
        "accepting its submissions: a key removed on chain is refused at most this long after",
    )

    @field_validator("trusted_proxies")
    @classmethod
    def _proxy_addresses(cls, value: str) -> str:
        """Each entry an IP address, a network or '*' (uvicorn would silently compare
        anything else as text and never match)."""
        entries = [entry.strip() for entry in value.split(",") if entry.strip()]
        for entry in entries:
            try:
                if entry != "*":
                    ipaddress.ip_network(entry)  # strict, as uvicorn reads it
            except ValueError:
                raise ValueError(f"{entry!r} is not an IP address or network (CIDR)") from None
        return ",".join(entries)

    @property
    def resolved_database_url(self) -> str:
        """The database URL, SQLite in the data directory unless one is set."""
        return self.database_url or f"sqlite:///{(self.data_dir / 'notary.db').resolve()}"

    @property
    def rpc_endpoints(self) -> list[str]:
        """NOTARY_RPC_URLS in order, else NOTARY_RPC_URL alone."""
        listed = [u.strip() for u in (self.rpc_urls or "").split(",") if u.strip()]
        return listed or [self.rpc_url]

    @property
    def deployment_file(self) -> Path:
        return self.data_dir / "deployment.json"

    @property
    def keys_dir(self) -> Path:
        return self.data_dir / "keys"

    @property
    def base_url(self) -> str:
        """Where the service is reached, for the links it hands out (no trailing slash)."""
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")
