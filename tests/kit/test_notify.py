from __future__ import annotations

import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from sqlalchemy.orm import Session

from ioc.config import Settings
from ioc.db import utcnow
from ioc.kit import notify
from ioc.kit.notify import (
    InAppChannel,
    Message,
    OutboxOnlyChannel,
    SmsGatewayChannel,
    SmtpChannel,
    channels_from_settings,
    deliver_pending,
    queue,
)

LATER = timedelta(days=1)


class FakeGateway:
    """A tiny HTTP server standing in for the SMS gateway: answers with the given statuses in
    turn and keeps what it was sent."""

    def __init__(self, statuses: list[int]) -> None:
        self.statuses = statuses
        self.requests: list[dict[str, Any]] = []
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers["Content-Length"])
                gateway.requests.append(
                    {
                        "path": self.path,
                        "content_type": self.headers["Content-Type"],
                        "json": json.loads(self.rfile.read(length)),
                    }
                )
                status = gateway.statuses.pop(0) if gateway.statuses else 200
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b'{"ok": true}' if status < 300 else b'{"error": "busy"}')

            def log_message(self, format: str, *args: Any) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/send"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> FakeGateway:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(autouse=True)
def no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    # The fake gateway is local; a proxy from the environment must not come in between.
    for name in (
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
        "http_proxy",
        "https_proxy",
        "all_proxy",
    ):
        monkeypatch.delenv(name, raising=False)


def sms(session: Session, **kwargs: Any) -> Message:
    params: dict[str, Any] = {
        "channel": "sms",
        "address": "0912345678",
        "body": "Phản ánh của bạn đã được tiếp nhận.",
    }
    params.update(kwargs)
    return queue(session, **params)


def test_queue_is_idempotent_on_dedupe_key(db_session: Session) -> None:
    first = sms(db_session, dedupe_key="event:1:user:7:sms")
    db_session.flush()
    again = sms(db_session, dedupe_key="event:1:user:7:sms", body="other text")
    other = sms(db_session, dedupe_key="event:2:user:7:sms")
    db_session.flush()

    assert again.id == first.id
    assert again.body == first.body
    assert other.id != first.id
    assert db_session.query(Message).count() == 2


def test_queue_without_dedupe_key_always_adds(db_session: Session) -> None:
    sms(db_session)
    sms(db_session)
    db_session.flush()
    assert db_session.query(Message).count() == 2


@pytest.mark.parametrize(
    "kwargs",
    [{"channel": "fax"}, {"channel": "sms", "address": ""}, {"channel": "inapp", "address": None}],
)
def test_queue_rejects_messages_that_cannot_be_delivered(
    db_session: Session, kwargs: dict[str, Any]
) -> None:
    with pytest.raises(ValueError):
        sms(db_session, **kwargs)


def test_outbox_only_channel_marks_sent_without_sending(db_session: Session) -> None:
    message = sms(db_session)
    inapp = queue(db_session, channel="inapp", user_id=7, body="Xin chào")
    counts = deliver_pending(db_session, {"sms": OutboxOnlyChannel("sms"), "inapp": InAppChannel()})

    assert counts.sent == 2
    assert message.status == "sent" and inapp.status == "sent"
    assert message.sent_at is not None
    assert message.attempts == 1


def test_messages_of_channels_not_given_stay_pending(db_session: Session) -> None:
    message = queue(db_session, channel="email", address="a@example.vn", body="x")
    deliver_pending(db_session, {"sms": OutboxOnlyChannel()})
    assert message.status == "pending" and message.attempts == 0


def test_sms_gateway_gets_the_json_of_its_template(db_session: Session) -> None:
    template = {"ApiKey": "k-123", "Phone": "{phone}", "Content": "IOC: {text}", "SmsType": 2}
    with FakeGateway([200]) as gateway:
        channel = SmsGatewayChannel(gateway.url, template=template, timeout=5)
        message = sms(db_session, body="Mã {xác nhận}: 123456")
        counts = deliver_pending(db_session, {"sms": channel})

    assert counts.sent == 1
    assert message.status == "sent"
    assert gateway.requests == [
        {
            "path": "/send",
            "content_type": "application/json",
            "json": {
                "ApiKey": "k-123",
                "Phone": "0912345678",
                "Content": "IOC: Mã {xác nhận}: 123456",
                "SmsType": 2,
            },
        }
    ]


def test_sms_gateway_error_fails_the_attempt_and_is_retried_later(db_session: Session) -> None:
    with FakeGateway([500, 200]) as gateway:
        channel = {"sms": SmsGatewayChannel(gateway.url, timeout=5)}
        message = sms(db_session)
        now = utcnow()

        first = deliver_pending(db_session, channel, now=now)
        assert first.retrying == 1
        assert message.status == "pending"
        assert message.attempts == 1
        assert message.last_error is not None and "500" in message.last_error
        assert message.next_attempt_at is not None and message.next_attempt_at > now

        # Not before its backoff has passed.
        assert deliver_pending(db_session, channel, now=now) == notify.DeliveryCounts()
        assert len(gateway.requests) == 1

        second = deliver_pending(db_session, channel, now=now + LATER)
    assert second.sent == 1
    assert message.status == "sent"
    assert message.attempts == 2
    assert message.last_error is None
    assert [r["json"] for r in gateway.requests] == [
        {"phone": "0912345678", "text": "Phản ánh của bạn đã được tiếp nhận."}
    ] * 2


def test_delivery_stops_after_max_attempts(db_session: Session) -> None:
    with FakeGateway([503] * 10) as gateway:
        channel = {"sms": SmsGatewayChannel(gateway.url, timeout=5)}
        message = sms(db_session)
        now = utcnow()
        for day in range(6):
            deliver_pending(db_session, channel, max_attempts=3, now=now + day * LATER)

    assert message.status == "failed"
    assert message.attempts == 3
    assert len(gateway.requests) == 3
    assert message.last_error is not None and "503" in message.last_error


def test_unreachable_gateway_is_a_failed_attempt(db_session: Session) -> None:
    with FakeGateway([]) as gateway:
        url = gateway.url  # the port is free again once the server is closed
    message = sms(db_session)
    counts = deliver_pending(db_session, {"sms": SmsGatewayChannel(url, timeout=2)})
    assert counts.retrying == 1
    assert message.attempts == 1 and message.last_error


class FakeSmtp:
    sent: list[Any] = []

    def __init__(self, host: str, port: int, timeout: float) -> None:
        self.calls: list[tuple[Any, ...]] = [("connect", host, port)]

    def __enter__(self) -> FakeSmtp:
        return self

    def __exit__(self, *exc: object) -> None:
        FakeSmtp.sent.append(self.calls)

    def starttls(self, context: Any = None) -> None:
        self.calls.append(("starttls",))

    def login(self, user: str, password: str) -> None:
        self.calls.append(("login", user, password))

    def send_message(self, email: Any) -> None:
        self.calls.append(
            ("send", email["From"], email["To"], email["Subject"], email.get_content().strip())
        )


def test_smtp_channel_reads_its_url_and_sends(
    db_session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    FakeSmtp.sent = []
    monkeypatch.setattr(notify.smtplib, "SMTP", FakeSmtp)
    channel = SmtpChannel("smtp://ioc%40tn.gov.vn:p%40ss@mail.tn.gov.vn:587?starttls=1")
    message = queue(
        db_session,
        channel="email",
        address="dan@example.vn",
        subject="Cập nhật\r\nBcc: x@evil",
        body="Nội dung",
    )
    deliver_pending(db_session, {"email": channel})

    assert message.status == "sent"
    assert FakeSmtp.sent == [
        [
            ("connect", "mail.tn.gov.vn", 587),
            ("starttls",),
            ("login", "ioc@tn.gov.vn", "p@ss"),
            ("send", "ioc@tn.gov.vn", "dan@example.vn", "Cập nhật Bcc: x@evil", "Nội dung"),
        ]
    ]


def test_channels_from_settings_fall_back_to_the_outbox() -> None:
    demo = channels_from_settings(Settings(sms_gateway_url="", smtp_url=""))
    assert isinstance(demo["sms"], OutboxOnlyChannel)
    assert isinstance(demo["email"], OutboxOnlyChannel)
    assert isinstance(demo["inapp"], InAppChannel)

    real = channels_from_settings(
        Settings(sms_gateway_url="http://gw.example/send", smtp_url="smtps://mail.example")
    )
    assert isinstance(real["sms"], SmsGatewayChannel)
    email = real["email"]
    assert isinstance(email, SmtpChannel) and email.port == 465 and email.implicit_tls


def test_delivery_job_delivers(db_session: Session) -> None:
    spec = notify.delivery_job({"sms": OutboxOnlyChannel()})
    message = sms(db_session)
    spec.func(db_session)
    assert spec.name == "kit.notify.deliver"
    assert message.status == "sent"
