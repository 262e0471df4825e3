"""RPC URLs: how one is shown in messages, logs and answers (never whole), and whether
it points at this machine.

Hosted nodes put the customer's key in the path (`…/v3/<key>`) or the query, and some
URLs carry `user:password@`. Only the scheme, host and port are shown; "/…" says that
something was left out.
"""

from __future__ import annotations

from urllib.parse import urlsplit

LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


def shown_url(url: str) -> str:
    """`url` as scheme://host[:port], with "/…" when it had a path, query or credentials."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return "an RPC URL that cannot be read"
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    if not parts.scheme or not host:
        return "an RPC URL that cannot be read"
    hidden = parts.path.strip("/") or parts.query or parts.fragment or "@" in parts.netloc
    return f"{parts.scheme}://{host}{f':{port}' if port else ''}{'/…' if hidden else ''}"


def is_local(url: str) -> bool:
    """Whether an RPC URL points at this machine."""
    try:
        return (urlsplit(url).hostname or "") in LOCAL_HOSTS
    except ValueError:
        return False
