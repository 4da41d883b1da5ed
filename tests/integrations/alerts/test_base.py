"""What the three parsers share: JSON decoding, time and label fields, messages, the registry."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ConfigDict, Field

from bot.domain.alerts import AlertSource, Notification
from integrations.alerts import PARSERS, alertmanager, generic, grafana
from integrations.alerts.base import MAX_NAME, MAX_VALUE, BadPayload, load
from integrations.alerts.fields import Annotations, Labels, StartTime, Text, Time

FIXTURES = Path(__file__).parent / "fixtures"
RECEIVED = datetime(2024, 5, 1, 13, 0, tzinfo=UTC)


class Sample(BaseModel):
    """A model made of the shared field types, to test them one at a time."""

    model_config = ConfigDict(strict=True, extra="forbid")

    start: StartTime = Field(default=datetime(2024, 1, 1, tzinfo=UTC))
    end: Time = None
    labels: Labels = Field(default_factory=dict)
    notes: Annotations = Field(default_factory=dict)
    url: Text = None


def sample(**fields: object) -> Sample:
    return load(json.dumps(fields).encode(), Sample)


def refusal(body: bytes) -> str:
    with pytest.raises(BadPayload) as caught:
        load(body, Sample)
    return str(caught.value)


def test_the_registry_has_one_parser_per_webhook_source() -> None:
    assert dict(PARSERS) == {
        AlertSource.ALERTMANAGER: alertmanager.parse,
        AlertSource.GRAFANA: grafana.parse,
        AlertSource.GENERIC: generic.parse,
    }
    assert AlertSource.CONSOLE not in PARSERS  # console alerts are not posted to a webhook


def test_bad_payload_is_a_value_error() -> None:
    assert issubclass(BadPayload, ValueError)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-05-01T12:00:00Z", datetime(2024, 5, 1, 12, tzinfo=UTC)),
        ("2024-05-01t12:00:00z", datetime(2024, 5, 1, 12, tzinfo=UTC)),
        ("2024-05-01 12:00:00+00:00", datetime(2024, 5, 1, 12, tzinfo=UTC)),
        ("2024-05-01T14:30:00+02:30", datetime(2024, 5, 1, 12, tzinfo=UTC)),
        ("2024-05-01T07:00:00-05:00", datetime(2024, 5, 1, 12, tzinfo=UTC)),
        ("2024-05-01T12:00:00.5Z", datetime(2024, 5, 1, 12, 0, 0, 500_000, tzinfo=UTC)),
        ("2018-08-03T09:52:26.739266876+02:00", datetime(2018, 8, 3, 7, 52, 26, 739266, UTC)),
        ("2024-02-29T23:59:59.999999999-00:00", datetime(2024, 2, 29, 23, 59, 59, 999999, UTC)),
    ],
)
def test_rfc3339_times_read_as_utc(text: str, expected: datetime) -> None:
    parsed = sample(start=text, end=text)
    assert parsed.start == expected
    assert parsed.end == expected
    assert parsed.start.utcoffset() == timedelta(0)


@pytest.mark.parametrize("zero", ["0001-01-01T00:00:00Z", "0001-01-01T00:00:00.000+00:00"])
def test_go_zero_time_is_no_end_time_and_no_start_time(zero: str) -> None:
    assert sample(end=zero).end is None
    assert refusal(json.dumps({"start": zero}).encode()) == (
        "start: expected when the alert started, got the zero time"
    )


@pytest.mark.parametrize(
    "text",
    [
        "yesterday",
        "2024-05-01",
        "2024-05-01T12:00:00",  # no offset: which zone?
        "2024-05-01T12:00Z",
        "2024-13-01T12:00:00Z",
        "2024-02-30T12:00:00Z",
        "2024-05-01T24:00:00Z",
        "2024-05-01T12:00:60Z",
        "2024-05-01T12:00:00+24:00",
        "2024-05-01T12:00:00+01:60",
        "9999-12-31T23:00:00-05:00",  # past year 9999 in UTC
        "2024-05-01T12:00:00,5Z",
        "1715000000",
        "٢٠٢٤-05-01T12:00:00Z",  # Arabic-Indic digits are digits to Python, not to RFC 3339
        " 2024-05-01T12:00:00Z",
    ],
)
def test_other_time_texts_are_refused_with_the_value(text: str) -> None:
    message = refusal(json.dumps({"end": text}).encode())
    assert message.startswith("end: not an RFC 3339 time (")
    assert json.dumps(text, ensure_ascii=False)[:20] in message
    assert message.endswith("expected e.g. 2024-05-01T12:00:00Z")


def test_a_time_that_is_not_a_string_says_what_it_is() -> None:
    assert refusal(b'{"end": 1715000000}') == "end: expected an RFC 3339 time, got a number"
    assert refusal(b'{"start": null}') == "start: expected when the alert started, got null"


def test_labels_are_strings_to_strings_and_null_is_empty() -> None:
    assert sample(labels={"service": "checkout", "zone": "eu-1"}).labels == {
        "service": "checkout",
        "zone": "eu-1",
    }
    assert sample(labels=None, notes=None).labels == {}
    assert (
        refusal(b'{"labels": {"replicas": 3}}')
        == "labels.replicas: expected a string, got a number"
    )
    assert refusal(b'{"labels": ["a"]}') == "labels: expected an object, got an array"


def test_label_names_and_values_have_limits() -> None:
    assert len(sample(labels={"n" * MAX_NAME: "v" * MAX_VALUE}).labels) == 1
    long_name = refusal(json.dumps({"labels": {"n" * (MAX_NAME + 1): "v"}}).encode())
    assert long_name.startswith('labels: the name "nnnn')
    assert long_name.endswith(f"must have 1 to {MAX_NAME} characters")
    assert len(long_name) < 120  # the name is cut in the message
    assert refusal(b'{"labels": {"": "v"}}') == 'labels: the name "" must have 1 to 256 characters'
    assert refusal(json.dumps({"labels": {"v": "x" * (MAX_VALUE + 1)}}).encode()) == (
        f'labels: the value of "v" is longer than {MAX_VALUE} characters'
    )


def test_a_long_annotation_value_is_cut_not_refused() -> None:
    notes = sample(notes={"description": "x" * 10_000, "summary": "short"}).notes
    assert len(notes["description"]) == MAX_VALUE
    assert notes["description"].endswith("x…")
    assert notes["summary"] == "short"


def test_an_empty_optional_string_is_absent_and_a_long_one_refused() -> None:
    assert sample(url="").url is None
    assert sample(url="https://x.example").url == "https://x.example"
    assert refusal(json.dumps({"url": "u" * (MAX_VALUE + 1)}).encode()) == (
        f"url: longer than {MAX_VALUE} characters"
    )


def test_unicode_passes_through() -> None:
    parsed = sample(labels={"équipe": "paiements", "服务": "结账"}, notes={"summary": "💥 down"})
    assert parsed.labels == {"équipe": "paiements", "服务": "结账"}
    assert parsed.notes["summary"] == "💥 down"


NOT_JSON = "the body is not JSON:"
COLUMN = "line 1 column"
DEEP = b'{"x": ' + b"[" * 300 + b"]" * 300 + b"}"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", "the body is empty; expected a JSON object"),
        (b" \r\n", "the body is empty; expected a JSON object"),
        (b"[]", "the body must be a JSON object, not an array"),
        (b"null", "the body must be a JSON object, not null"),
        (b'"alerts"', "the body must be a JSON object, not a string"),
        (b"42", "the body must be a JSON object, not a number"),
        (b"{", f"{NOT_JSON} EOF while parsing an object at line 1 column 1"),
        (b"{} {}", f"{NOT_JSON} trailing characters at line 1 column 4"),
        (b"<alerts/>", f"{NOT_JSON} expected value at line 1 column 1"),
        (b'{"url": "\xff"}', f"{NOT_JSON} invalid unicode code point at line 1 column 10"),
        (rb'{"url": "\ud800"}', f"{NOT_JSON} unexpected end of hex escape at {COLUMN} 16"),
        (rb'{"url": "\udc00x"}', f"{NOT_JSON} lone leading surrogate in hex escape at {COLUMN} 15"),
        (DEEP, f"{NOT_JSON} recursion limit exceeded at {COLUMN} 207"),
        (b'{"zone": 1}', "zone: unknown field (docs/alerts.md lists the fields)"),
    ],
)  # fmt: skip
def test_bodies_that_are_not_a_json_object(body: bytes, message: str) -> None:
    assert refusal(body) == message


def test_a_utf8_byte_order_mark_is_skipped() -> None:
    assert load(b'\xef\xbb\xbf{"url": "u"}', Sample).url == "u"


def test_a_field_name_that_is_no_identifier_is_quoted_in_the_path() -> None:
    assert refusal(b'{"labels": {"app.kubernetes.io/name": 1}}') == (
        'labels["app.kubernetes.io/name"]: expected a string, got a number'
    )


# --- fuzz: whatever the body, a Notification or a BadPayload with a one-line reason --------

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


def outcome(source: AlertSource, body: bytes) -> Notification | str:
    try:
        return PARSERS[source](body, received=RECEIVED)
    except BadPayload as refused:
        message = str(refused)
        assert message
        assert "\n" not in message
        assert len(message) < 300
        return message


@settings(max_examples=150, deadline=None)
@given(source=st.sampled_from(sorted(PARSERS)), body=st.binary(max_size=200))
def test_any_bytes_give_a_notification_or_bad_payload(source: AlertSource, body: bytes) -> None:
    assert isinstance(outcome(source, body), Notification | str)


@settings(max_examples=150, deadline=None)
@given(source=st.sampled_from(sorted(PARSERS)), document=JSON)
def test_any_json_gives_a_notification_or_bad_payload(
    source: AlertSource, document: object
) -> None:
    result = outcome(source, json.dumps(document).encode())
    assert isinstance(result, str)  # no random document is a valid notification


FIXTURE_OF = {
    AlertSource.ALERTMANAGER: "alertmanager_firing.json",
    AlertSource.GRAFANA: "grafana_firing.json",
    AlertSource.GENERIC: "generic_full.json",
}


def paths(document: object, prefix: tuple[str | int, ...] = ()) -> list[tuple[str | int, ...]]:
    """Every path into ``document``, containers first."""
    found = [prefix]
    if isinstance(document, dict):
        for key, value in document.items():
            found += paths(value, (*prefix, key))
    elif isinstance(document, list):
        for index, value in enumerate(document):
            found += paths(value, (*prefix, index))
    return found


@settings(max_examples=300, deadline=None)
@given(source=st.sampled_from(sorted(PARSERS)), data=st.data())
def test_a_real_payload_with_one_value_replaced_never_escapes(
    source: AlertSource, data: st.DataObject
) -> None:
    document = json.loads((FIXTURES / FIXTURE_OF[source]).read_bytes())
    path = data.draw(st.sampled_from(paths(document)[1:]))
    *parents, last = path
    container = document
    for step in parents:
        container = container[step]
    if data.draw(st.booleans()):
        container[last] = data.draw(JSON)
    elif isinstance(container, dict):
        del container[last]
    result = outcome(source, json.dumps(document).encode())
    if isinstance(result, Notification):
        assert result.source is source
        assert result.alerts
        assert all(alert.starts_at.tzinfo is UTC for alert in result.alerts)
