"""Reading request bodies within limits: JSON bodies, and multipart files hashed as they stream.

A file part is never held whole: each chunk goes into SHA-256 as it arrives (and to disk
only when NOTARY_KEEP_UPLOADS_DIR is set), and the request is cut off with 413 as soon as
it passes NOTARY_MAX_UPLOAD_BYTES, whatever Content-Length claimed.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import ClientDisconnect, Request

from api.problems import Problem
from notary.core.types import Digest

MAX_FIELD_BYTES = 1 << 20
"""Largest non-file form field (metadata, a receipt): the receipt limit."""
JSON_TYPE = "application/json"
FORM_TYPE = "multipart/form-data"


@dataclass
class Form:
    """A parsed multipart form: the file's digest and size (if a file came) and text fields."""

    digest: Digest | None = None
    size: int = 0
    filename: str | None = None
    fields: dict[str, str] = field(default_factory=dict)


def require_content(form: Form, file_field: str = "file") -> Digest:
    """The uploaded file's digest; 422 when no file came or it is empty (nothing to notarise)."""
    if form.digest is None:
        raise Problem(
            422, "invalid-field", f"a file part named `{file_field}` is required", field=file_field
        )
    if form.size == 0:
        raise Problem(
            422,
            "invalid-field",
            "the file is empty (0 bytes): send the document itself",
            field=file_field,
        )
    return form.digest


def media_type(request: Request) -> str:
    """The request's media type, lower-case, without parameters."""
    return request.headers.get("content-type", "").split(";", 1)[0].strip().lower()


def unsupported(accepted: str) -> Problem:
    """415 naming what is accepted."""
    return Problem(415, "unsupported-media-type", f"send {accepted}", field="Content-Type")


def _too_large(limit: int) -> Problem:
    return Problem(413, "payload-too-large", f"the body is larger than {limit} bytes")


def _check_declared(request: Request, limit: int) -> None:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise _too_large(limit)


async def _limited(request: Request, limit: int) -> AsyncIterator[bytes]:
    """The body's chunks, cut off with 413 past `limit` bytes and 400 if the client leaves."""
    _check_declared(request, limit)
    size = 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise _too_large(limit)
            yield chunk
    except ClientDisconnect:
        raise Problem(400, "malformed-request", "the client went away mid-body") from None


async def read_body(request: Request, limit: int) -> bytes:
    """The whole body, refusing more than `limit` bytes while reading.

    Appended as the chunks come (a large buffer grows in place, without copying): joining
    the chunks of a 50 MiB body at the end was one copy that held the event loop for tens
    of milliseconds.
    """
    body = bytearray()
    async for chunk in _limited(request, limit):
        body += chunk
    return bytes(body)


async def read_form(
    request: Request, limit: int, file_field: str = "file", keep_dir: Path | None = None
) -> Form:
    """Stream a multipart/form-data body: hash the file part, collect the small fields."""
    _, params = parse_options_header(request.headers.get("content-type", ""))
    boundary = params.get(b"boundary")
    if not boundary:
        raise Problem(400, "malformed-request", "multipart body without a boundary")
    state = _FormState(file_field, keep_dir)
    parser = MultipartParser(boundary, state.callbacks())
    try:
        async for chunk in _limited(request, limit):
            parser.write(chunk)
            if state.error is not None:
                raise state.error
        parser.finalize()
    except FormParserError as exc:
        raise Problem(400, "malformed-request", f"malformed multipart body: {exc}") from None
    finally:
        state.discard()
    if state.error is not None:
        raise state.error
    return state.finish()


class _FormState:
    """Callbacks of the streaming parser, one part at a time."""

    def __init__(self, file_field: str, keep_dir: Path | None) -> None:
        self.file_field = file_field
        self.keep_dir = keep_dir
        self.form = Form()
        self.error: Problem | None = None
        self._header_name = b""
        self._header_value = b""
        self._headers: dict[bytes, bytes] = {}
        self._name: str | None = None
        self._value = bytearray()
        self._hasher: Any = None
        self._spool: BinaryIO | None = None
        self._spool_path: str | None = None
        self._done = False

    def callbacks(self) -> Any:
        return {
            "on_part_begin": self._begin,
            "on_header_field": self._header_field,
            "on_header_value": self._header_val,
            "on_header_end": self._header_end,
            "on_headers_finished": self._headers_done,
            "on_part_data": self._data,
            "on_part_end": self._part_end,
        }

    def _begin(self) -> None:
        self._headers, self._name, self._value = {}, None, bytearray()

    def _header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_name += data[start:end]

    def _header_val(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def _header_end(self) -> None:
        self._headers[self._header_name.lower()] = self._header_value
        self._header_name, self._header_value = b"", b""

    def _headers_done(self) -> None:
        _, params = parse_options_header(self._headers.get(b"content-disposition", b""))
        name = params.get(b"name", b"").decode("utf-8", "replace")
        self._name = name
        if name == self.file_field:
            if self._hasher is not None or self.form.digest is not None:
                self._fail(Problem(422, "invalid-field", "send one file only", field=name))
                return
            self._hasher = hashlib.sha256()
            filename = params.get(b"filename")
            self.form.filename = filename.decode("utf-8", "replace") if filename else None
            if self.keep_dir is not None:
                self.keep_dir.mkdir(parents=True, exist_ok=True)
                fd, self._spool_path = tempfile.mkstemp(dir=self.keep_dir, suffix=".part")
                self._spool = os.fdopen(fd, "wb")
        elif name in self.form.fields:
            self._fail(Problem(422, "invalid-field", "field given twice", field=name))

    def _data(self, data: bytes, start: int, end: int) -> None:
        if self.error is not None:
            return
        if self._name == self.file_field and self._hasher is not None:
            chunk = data[start:end]
            self._hasher.update(chunk)
            self.form.size += end - start
            if self._spool is not None:
                self._spool.write(chunk)
            return
        self._value += data[start:end]
        if len(self._value) > MAX_FIELD_BYTES:
            self._fail(
                Problem(
                    413,
                    "payload-too-large",
                    f"field over {MAX_FIELD_BYTES} bytes",
                    field=self._name,
                )
            )

    def _part_end(self) -> None:
        if self.error is not None or self._name is None:
            return
        if self._name == self.file_field and self._hasher is not None:
            self.form.digest = Digest(self._hasher.digest())
            self._hasher = None
            if self._spool is not None and self._spool_path is not None and self.keep_dir:
                self._spool.close()
                os.replace(self._spool_path, self.keep_dir / self.form.digest.raw.hex())
                self._spool, self._spool_path = None, None
            return
        try:
            self.form.fields[self._name] = bytes(self._value).decode("utf-8")
        except UnicodeDecodeError:
            self._fail(Problem(422, "invalid-field", "not UTF-8 text", field=self._name))

    def _fail(self, problem: Problem) -> None:
        if self.error is None:
            self.error = problem

    def finish(self) -> Form:
        return self.form

    def discard(self) -> None:
        """Remove a half-written kept upload."""
        if self._spool is not None:
            self._spool.close()
        if self._spool_path is not None:
            Path(self._spool_path).unlink(missing_ok=True)
