"""Outgoing messages: queued as rows in the caller's transaction (the outbox), sent later by a
job through channels behind one interface (in-app, SMS through an HTTP gateway, e-mail).

A message queued in a transaction that rolls back is never sent; a crash after commit means a
late message, never a lost one. Sending is at least once: a send that succeeded but whose
status could not be stored is repeated.
"""

from __future__ import annotations

import json
import logging
import smtplib
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import parse_qs, unquote, urlsplit

import httpx
from sqlalchemy import BigInteger, Index, Integer, String, Text, or_, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from ioc.db import Base, UTCDateTime, utcnow
from ioc.kit.module import JobSpec

if TYPE_CHECKING:
    from ioc.config import Settings

log = logging.getLogger(__name__)

CHANNELS = ("inapp", "sms", "email")
STATUSES = ("pending", "sent", "failed")
SUBJECT_MAX = 300
ERROR_MAX = 2000
DEFAULT_SMS_TEMPLATE: dict[str, Any] = {"phone": "{phone}", "text": "{text}"}


class Message(Base):
    __tablename__ = "messages"
    __table_args__ = (
        # The delivery job's queue: only pending rows, so it stays small.
        Index(
            "ix_messages_pending",
            "id",
            postgresql_where=text("status = 'pending'"),
            sqlite_where=text("status = 'pending'"),
        ),
        Index("ix_messages_user_id_created_at", "user_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    channel: Mapped[str] = mapped_column(String(10))
    user_id: Mapped[int | None] = mapped_column(Integer)
    address: Mapped[str | None] = mapped_column(String(320))  # phone or e-mail; none in-app
    subject: Mapped[str] = mapped_column(String(SUBJECT_MAX), default="")
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # After a failure, not before this time (exponential backoff): a gateway that is down for
    # a few minutes must not use up every attempt.
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    # No foreign key: the events table may be partitioned by time and pruned before messages.
    event_id: Mapped[int | None] = mapped_column(BigInteger, index=True)


def queue(
    session: Session,
    *,
    channel: str,
    body: str,
    subject: str = "",
    user_id: int | None = None,
    address: str | None = None,
    dedupe_key: str | None = None,
    event_id: int | None = None,
) -> Message:
    """Queue a message in the caller's transaction. With a ``dedupe_key`` (e.g.
    ``"event:42:user:7:sms"``) queuing twice returns the first message, which makes event
    handlers that queue messages safe to run again."""
    if channel not in CHANNELS:
        raise ValueError(f"channel must be one of {CHANNELS}, not {channel!r}")
    address = address.strip() if address else None
    if channel == "inapp" and user_id is None:
        raise ValueError("an in-app message needs a user_id")
    if channel != "inapp" and not address:
        raise ValueError(f"an {channel} message needs an address")
    if dedupe_key is not None:
        existing = _by_key(session, dedupe_key)
        if existing is not None:
            return existing
    message = Message(
        channel=channel,
        user_id=user_id,
        address=address,
        subject=subject[:SUBJECT_MAX],
        body=body,
        status="pending",
        attempts=0,
        created_at=utcnow(),
        dedupe_key=dedupe_key,
        event_id=event_id,
    )
    if dedupe_key is None:
        session.add(message)
        return message
    # Another transaction may queue the same key at the same moment: the unique index lets
    # one win, and the savepoint keeps the loser's transaction usable.
    try:
        with session.begin_nested():
            session.add(message)
    except IntegrityError:
        existing = _by_key(session, dedupe_key)
        if existing is None:
            raise
        return existing
    return message


def _by_key(session: Session, dedupe_key: str) -> Message | None:
    return session.scalar(select(Message).where(Message.dedupe_key == dedupe_key))


# --- Channels -------------------------------------------------------------------------------


class Channel(Protocol):
    def send(self, message: Message) -> None:
        """Deliver or raise; the exception's text is stored as the message's last error."""


class DeliveryError(Exception):
    """The far end refused the message."""


class InAppChannel:
    """The row is the delivery: the portal shows a user their messages."""

    def send(self, message: Message) -> None:
        return None


class OutboxOnlyChannel:
    """For the demo and for channels not configured: marks messages sent without sending
    them; the console lists them on its sent-messages page."""

    def __init__(self, name: str = "") -> None:
        self.name = name

    def send(self, message: Message) -> None:
        log.info(
            "outbox only, not sent: %s message %s to %s",
            self.name or message.channel,
            message.id,
            message.address or message.user_id,
        )


def _fill(template: Any, values: Mapping[str, str]) -> Any:
    if isinstance(template, str):
        # Plain replacement, not str.format: message text may hold braces of its own.
        for placeholder, value in values.items():
            template = template.replace(placeholder, value)
        return template
    if isinstance(template, dict):
        return {key: _fill(value, values) for key, value in template.items()}
    if isinstance(template, list):
        return [_fill(value, values) for value in template]
    return template


class SmsGatewayChannel:
    """POSTs JSON to an HTTP SMS gateway. Gateways differ in field names and fixed fields (API
    key, brand name…), so the body is a template whose strings may contain ``{phone}`` and
    ``{text}``. Any answer outside 2xx is a failure."""

    def __init__(
        self,
        url: str,
        template: Mapping[str, Any] | None = None,
        timeout: float = 10.0,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.url = url
        self.template = dict(template or DEFAULT_SMS_TEMPLATE)
        self.timeout = timeout
        self.headers = dict(headers or {})

    def body_for(self, phone: str, text: str) -> Any:
        return _fill(self.template, {"{phone}": phone, "{text}": text})

    def send(self, message: Message) -> None:
        if not message.address:
            raise DeliveryError("no phone number")
        response = httpx.post(
            self.url,
            json=self.body_for(message.address, message.body),
            headers=self.headers,
            timeout=self.timeout,
        )
        if not response.is_success:
            raise DeliveryError(
                f"SMS gateway answered {response.status_code}: {response.text[:200]}"
            )


class SmtpChannel:
    """E-mail through SMTP. ``smtp://user:pass@host:587?starttls=1&from=ioc@example.vn``;
    ``smtps://`` for TLS from the first byte (port 465)."""

    def __init__(self, smtp_url: str, *, sender: str | None = None, timeout: float = 10.0) -> None:
        parts = urlsplit(smtp_url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ValueError("an SMTP URL looks like smtp://user:pass@host:port")
        query = parse_qs(parts.query)
        self.implicit_tls = parts.scheme == "smtps"
        self.starttls = query.get("starttls", [""])[0].lower() in ("1", "true", "yes", "on")
        self.host = parts.hostname
        self.port = parts.port or (465 if self.implicit_tls else 587 if self.starttls else 25)
        self.username = unquote(parts.username) if parts.username else None
        self.password = unquote(parts.password) if parts.password else None
        self.timeout = timeout
        self.sender = (
            sender
            or query.get("from", [""])[0]
            or (self.username if self.username and "@" in self.username else "")
            or f"ioc@{self.host}"
        )

    def build(self, message: Message) -> EmailMessage:
        email = EmailMessage()
        email["From"] = self.sender
        email["To"] = message.address or ""
        # A line break in a header would let text inject headers of its own.
        email["Subject"] = " ".join(message.subject.split())
        email.set_content(message.body)
        return email

    def send(self, message: Message) -> None:
        if not message.address:
            raise DeliveryError("no e-mail address")
        email = self.build(message)
        context = ssl.create_default_context()
        smtp: smtplib.SMTP
        if self.implicit_tls:
            smtp = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=context)
        else:
            smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        with smtp:
            if self.starttls:
                smtp.starttls(context=context)
            if self.username:
                smtp.login(self.username, self.password or "")
            smtp.send_message(email)


def channels_from_settings(settings: Settings) -> dict[str, Channel]:
    """Real channels where configured, the outbox page otherwise (the demo needs nothing)."""
    channels: dict[str, Channel] = {"inapp": InAppChannel()}
    if settings.sms_gateway_url:
        # A JSON object (checked when the settings load); empty: {"phone": …, "text": …}.
        raw_template = settings.sms_gateway_template
        template = json.loads(raw_template) if raw_template else None
        channels["sms"] = SmsGatewayChannel(settings.sms_gateway_url, template=template)
    else:
        channels["sms"] = OutboxOnlyChannel("sms")
    if settings.smtp_url:
        channels["email"] = SmtpChannel(settings.smtp_url)
    else:
        channels["email"] = OutboxOnlyChannel("email")
    return channels


# --- Delivery -------------------------------------------------------------------------------


@dataclass(frozen=True)
class DeliveryCounts:
    sent: int = 0
    retrying: int = 0
    failed: int = 0


def deliver_pending(
    session: Session,
    channels: Mapping[str, Channel],
    limit: int = 100,
    max_attempts: int = 5,
    *,
    retry_delay: timedelta = timedelta(seconds=30),
    now: datetime | None = None,
) -> DeliveryCounts:
    """Send up to ``limit`` pending messages that are due. A failure is retried after
    ``retry_delay``, doubling each time; after ``max_attempts`` the message is failed."""
    now = now or utcnow()
    stmt = (
        select(Message)
        .where(
            Message.status == "pending",
            Message.channel.in_(list(channels)),
            or_(Message.next_attempt_at.is_(None), Message.next_attempt_at <= now),
        )
        .order_by(Message.id)
        .limit(limit)
        # PostgreSQL: two runners never pick the same row (SQLite has one writer anyway).
        .with_for_update(skip_locked=True)
    )
    sent = retrying = failed = 0
    for message in session.scalars(stmt).all():
        message.attempts += 1
        try:
            channels[message.channel].send(message)
        except Exception as exc:
            message.last_error = f"{type(exc).__name__}: {exc}"[:ERROR_MAX]
            if message.attempts >= max_attempts:
                message.status = "failed"
                failed += 1
                log.warning("message %s failed for good: %s", message.id, message.last_error)
            else:
                message.next_attempt_at = now + retry_delay * 2 ** (message.attempts - 1)
                retrying += 1
        else:
            message.status = "sent"
            message.sent_at = utcnow()
            message.last_error = None
            sent += 1
    session.flush()
    return DeliveryCounts(sent=sent, retrying=retrying, failed=failed)


def delivery_job(
    channels: Mapping[str, Channel],
    *,
    interval: timedelta = timedelta(seconds=30),
    limit: int = 100,
    max_attempts: int = 5,
) -> JobSpec:
    def run(session: Session) -> DeliveryCounts:
        return deliver_pending(session, channels, limit, max_attempts)

    return JobSpec(
        name="kit.notify.deliver",
        func=run,
        interval=interval,
        description="Send queued SMS, e-mail and in-app messages.",
    )
