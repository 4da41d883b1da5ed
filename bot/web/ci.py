"""``POST /hooks/ci``: CI reports in, signed with HMAC-SHA256, judged by the gate service.

The checks come in this order, and none of them ends in a 5xx:

- no ``STATIONMASTER_CI_SECRET``: 503 "not configured" (the rest of the bot runs normally);
- a body over the limit (20 MiB by default): 413, as soon as that is known;
- a missing or wrong ``X-Stationmaster-Signature: sha256=<hex>`` over the raw body: 401;
- a form that is not ``multipart/form-data`` with ``release``, ``gate`` and report files: 400;
- an unknown release: 404; a release whose gates are closed: 409;
- a report that cannot be parsed (hostile, truncated, empty, the wrong format): 422.

The body is spooled to a temporary file while its HMAC is computed; only a signed body is parsed
(python-multipart, streaming, parts spooled to disk), and the reports are parsed in a worker
thread. A repeated ``X-Stationmaster-Delivery`` id changes nothing and answers as before.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from aiohttp import web
from python_multipart import FormParser
from python_multipart.exceptions import FormParserError
from python_multipart.multipart import parse_options_header

from bot.ci_signing import DELIVERY_HEADER, SIGNATURE_HEADER, verify
from bot.domain.gates import Gate
from bot.domain.reports import ReportFormat
from bot.errors import Conflict, NotAllowed, NotFound, ReportError, StationmasterError
from bot.observability.logs import get_logger
from bot.services.gates import GateService
from bot.web.common import problem
from integrations.ci import ReportFile, format_named, read_gate

log = get_logger(__name__)

FIELD_LIMIT = 2048
MAX_FILES = 50
CHUNK = 64 * 1024
_URL = re.compile(r"https?://[^\s<>|]+", re.ASCII)
_DELIVERY = re.compile(r"[A-Za-z0-9._:-]{1,200}", re.ASCII)


class BadForm(ValueError):
    """The upload is not the form the endpoint takes; the message says what is wrong."""


@dataclass
class Upload:
    """The parsed form: text fields, and the report files spooled to disk."""

    fields: dict[str, str] = field(default_factory=dict)
    files: list[ReportFile] = field(default_factory=list)

    def text(self, name: str, *, required: bool = False) -> str | None:
        value = (self.fields.get(name) or "").strip()
        if required and not value:
            raise BadForm(f"missing form field {name!r}")
        return value or None


@dataclass
class CiEndpoint:
    gates: GateService
    secret: str | None
    limit: int = 20 * 1024 * 1024

    async def handle(self, request: web.Request) -> web.Response:
        if self.secret is None:
            log.warning("ci report refused: STATIONMASTER_CI_SECRET is not set")
            return problem(503, "not configured: set STATIONMASTER_CI_SECRET")
        if request.content_length is not None and request.content_length > self.limit:
            return problem(413, f"body over the {self.limit} byte limit")
        directory = Path(tempfile.mkdtemp(prefix="stationmaster-ci-"))
        try:
            return await self._handle(request, directory)
        finally:
            shutil.rmtree(directory, ignore_errors=True)

    async def _handle(self, request: web.Request, directory: Path) -> web.Response:
        assert self.secret is not None
        body = directory / "body"
        digest = hmac.new(self.secret.encode(), digestmod=hashlib.sha256)
        size = 0
        with body.open("wb") as sink:
            async for chunk in request.content.iter_chunked(CHUNK):
                size += len(chunk)
                if size > self.limit:
                    return problem(413, f"body over the {self.limit} byte limit")
                digest.update(chunk)
                sink.write(chunk)
        given = request.headers.get(SIGNATURE_HEADER, "")
        if not given:
            return problem(401, f"unsigned: send {SIGNATURE_HEADER}: sha256=<hex HMAC of the body>")
        if not verify(given, digest=digest.hexdigest()):
            return problem(401, f"bad signature: {SIGNATURE_HEADER} does not match the body")
        delivery = request.headers.get(DELIVERY_HEADER)
        if delivery is not None and not _DELIVERY.fullmatch(delivery):
            return problem(400, f"{DELIVERY_HEADER} must be 1-200 letters, digits or ._:-")
        try:
            upload = await asyncio.to_thread(
                _parse_form, body, request.headers.get("Content-Type", ""), directory
            )
            gate, fmt, build_url, ref = _fields(upload)
        except (BadForm, ReportError) as exc:
            return problem(400, str(exc))
        try:
            release = await self.gates.find(ref)
            formats, report = await asyncio.to_thread(read_gate, gate, upload.files, format=fmt)
            submitted = await self.gates.submit(
                release=release,
                gate=gate,
                report=report,
                formats=[f.value for f in formats],
                build_url=build_url,
                delivery=delivery,
                commit=upload.text("commit"),
            )
        except NotFound as exc:
            return problem(404, exc.message)
        except ReportError as exc:
            return problem(422, exc.message)
        except (Conflict, NotAllowed) as exc:
            return problem(409, exc.message)
        except StationmasterError as exc:
            return problem(400, exc.message)
        log.info(
            "ci report judged", release=submitted.release.label, gate=gate.value,
            verdict=submitted.verdict.value, duplicate=submitted.duplicate,
        )  # fmt: skip
        return web.json_response({"ok": True, **submitted.as_json()})


def _fields(upload: Upload) -> tuple[Gate, ReportFormat | None, str | None, str]:
    ref = upload.text("release", required=True)
    assert ref is not None
    gate_name = upload.text("gate", required=True)
    assert gate_name is not None
    try:
        gate = Gate(gate_name.lower())
    except ValueError:
        known = ", ".join(g.value for g in Gate)
        raise BadForm(f"unknown gate {gate_name!r}: use one of {known}") from None
    named = upload.text("format")
    fmt = format_named(named) if named else None
    build_url = upload.text("build_url")
    if build_url is not None and not _URL.fullmatch(build_url):
        raise BadForm("build_url must be an http(s) URL")
    if not upload.files:
        raise BadForm("no report files: attach at least one file part")
    return gate, fmt, build_url, ref


def _parse_form(body: Path, content_type: str, directory: Path) -> Upload:
    kind, options = parse_options_header(content_type)
    if kind != b"multipart/form-data" or b"boundary" not in options:
        raise BadForm("the body must be multipart/form-data (fields release, gate, files)")
    upload = Upload()
    uploads = directory / "parts"
    uploads.mkdir()

    def on_field(part: Any) -> None:
        name = (part.field_name or b"").decode("utf-8", "replace")
        value = part.value or b""
        if len(value) > FIELD_LIMIT:
            raise BadForm(f"form field {name!r} is over {FIELD_LIMIT} bytes")
        upload.fields[name] = value.decode("utf-8", "replace")

    def on_file(part: Any) -> None:
        if len(upload.files) >= MAX_FILES:
            raise BadForm(f"more than {MAX_FILES} report files in one delivery")
        name = Path((part.file_name or b"report").decode("utf-8", "replace")).name or "report"
        part.flush_to_disk()
        source: IO[bytes] = part.file_object
        source.seek(0)
        target = uploads / f"{len(upload.files)}"
        with target.open("wb") as sink:
            shutil.copyfileobj(source, sink)
        part.close()
        upload.files.append(ReportFile(path=target, name=name[:200]))

    parser = FormParser(
        "multipart/form-data",
        on_field,
        on_file,
        boundary=options[b"boundary"],
        config={"UPLOAD_DIR": str(directory), "MAX_MEMORY_FILE_SIZE": 1024 * 1024},
    )
    try:
        with body.open("rb") as source:
            while chunk := source.read(CHUNK):
                parser.write(chunk)
        parser.finalize()
    except FormParserError as exc:
        raise BadForm(f"malformed multipart body: {exc}") from None
    return upload
