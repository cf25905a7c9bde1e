"""Payment providers: where "Pagar" sends the customer, and how a provider's payment is read back.

`DemoProvider` (the default) is a page of the portal itself (/pagos/demo/<id>, "Demostración — no se cobra
nada") where the person approves or rejects. `MercadoPagoProvider` speaks Checkout Pro over httpx: it
creates a preference for our Payment (external_reference = Payment.id) and reads a payment back by its id
to confirm what a webhook says (the body of a notification is never believed).

`verify_mp_signature` checks Mercado Pago's `x-signature` header (`ts=…,v1=…`): v1 is the HMAC-SHA256 hex,
keyed by the webhook secret, of the manifest `id:{data.id};request-id:{x-request-id};ts:{ts};`.

The preference's notification_url carries `source_news=webhooks`: Mercado Pago then sends only Webhooks
notifications there, not the older IPN ones, which its documentation says cannot be validated with the secret
(they would all be refused with 401 and retried for nothing).
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Protocol
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx

from autogestion.config import Settings

DEMO = "demo"
MERCADOPAGO = "mercadopago"
TIMEOUT_SECONDS = 15.0
_PROVIDER_ID = re.compile(r"[0-9A-Za-z_-]{1,64}")


class ProviderError(Exception):
    """The provider could not be reached or answered something unexpected (no message for people)."""


@dataclass(frozen=True)
class ProviderPayment:
    """A payment as the provider reports it (read from the provider, never from a notification body)."""

    external_id: str  # the provider's payment id
    status: str  # approved | rejected | pending | in_process | cancelled | refunded | charged_back | …
    status_detail: str
    external_reference: str  # our Payment.id
    amount_cents: int


class PaymentProvider(Protocol):
    name: str

    async def create_checkout(
        self, *, payment_id: str, title: str, amount_cents: int, return_url: str, notification_url: str
    ) -> str:
        """Where to send the customer to pay (an absolute URL, or a path of the portal for the demo)."""
        ...

    async def get_payment(self, external_id: str) -> ProviderPayment | None:
        """The provider's payment, or None when it does not know that id."""
        ...


def demo_checkout_path(payment_id: str) -> str:
    return f"/pagos/demo/{payment_id}"


class DemoProvider:
    """The embedded checkout: a page of the portal where the person approves or rejects; charges nothing."""

    name = DEMO

    async def create_checkout(
        self, *, payment_id: str, title: str, amount_cents: int, return_url: str, notification_url: str
    ) -> str:
        return demo_checkout_path(payment_id)

    async def get_payment(self, external_id: str) -> ProviderPayment | None:
        return None  # the demo page decides through services.payments.demo_decide, never by notification


def webhooks_only(url: str) -> str:
    """`url` with `source_news=webhooks` in its query (Webhooks notifications only, no IPN)."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "source_news"]
    return urlunsplit(parts._replace(query=urlencode([*query, ("source_news", "webhooks")])))


def cents_to_amount(cents: int) -> float:
    return float(Decimal(cents) / 100)


def amount_to_cents(amount: object) -> int:
    if isinstance(amount, bool) or not isinstance(amount, int | float | str):
        raise ProviderError("transaction_amount is not a number")
    try:
        value = Decimal(str(amount))
    except ArithmeticError:
        raise ProviderError("transaction_amount is not a number") from None
    return int((value * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


class MercadoPagoProvider:
    """Checkout Pro: POST /checkout/preferences, GET /v1/payments/{id}."""

    name = MERCADOPAGO

    def __init__(self, *, access_token: str, api_url: str, transport: httpx.AsyncBaseTransport | None = None):
        self._token = access_token
        self._api_url = api_url.rstrip("/")
        self._transport = transport

    def _client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            base_url=self._api_url,
            headers={"Authorization": f"Bearer {self._token}", "Accept": "application/json"},
            timeout=TIMEOUT_SECONDS,
            transport=self._transport,
        )

    async def create_checkout(
        self, *, payment_id: str, title: str, amount_cents: int, return_url: str, notification_url: str
    ) -> str:
        preference = {
            "items": [
                {
                    "id": payment_id,
                    "title": title[:250],
                    "quantity": 1,
                    "unit_price": cents_to_amount(amount_cents),
                    "currency_id": "ARS",
                }
            ],
            "external_reference": payment_id,
            "notification_url": webhooks_only(notification_url),
            "back_urls": {"success": return_url, "failure": return_url, "pending": return_url},
            "auto_return": "approved",
        }
        try:
            async with self._client() as client:
                response = await client.post(
                    "/checkout/preferences", json=preference, headers={"X-Idempotency-Key": payment_id}
                )
        except httpx.HTTPError as exc:
            raise ProviderError(f"preference request failed: {type(exc).__name__}") from None
        if response.status_code not in (200, 201):
            raise ProviderError(f"preference refused: HTTP {response.status_code}")
        try:
            init_point = response.json().get("init_point", "")
        except ValueError:
            raise ProviderError("preference answer is not JSON") from None
        if not isinstance(init_point, str) or not init_point.startswith("https://"):
            raise ProviderError("preference answer has no https init_point")
        return init_point

    async def get_payment(self, external_id: str) -> ProviderPayment | None:
        if not _PROVIDER_ID.fullmatch(external_id or ""):
            return None
        try:
            async with self._client() as client:
                response = await client.get(f"/v1/payments/{external_id}")
        except httpx.HTTPError as exc:
            raise ProviderError(f"payment request failed: {type(exc).__name__}") from None
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise ProviderError(f"payment lookup refused: HTTP {response.status_code}")
        try:
            body = response.json()
        except ValueError:
            raise ProviderError("payment answer is not JSON") from None
        if not isinstance(body, dict):
            raise ProviderError("payment answer is not an object")
        return ProviderPayment(
            external_id=str(body.get("id", "")),
            status=str(body.get("status") or ""),
            status_detail=str(body.get("status_detail") or ""),
            external_reference=str(body.get("external_reference") or ""),
            amount_cents=amount_to_cents(body.get("transaction_amount")),
        )


def build_provider(settings: Settings) -> PaymentProvider:
    """The provider AUTOGESTION_PAYMENTS names."""
    if settings.payments == MERCADOPAGO:
        return MercadoPagoProvider(access_token=settings.mp_access_token, api_url=settings.mp_api_url)
    return DemoProvider()


def _signature_parts(header: str) -> dict[str, str]:
    parts: dict[str, str] = {}
    for piece in (header or "").split(","):
        key, sep, value = piece.strip().partition("=")
        if sep:
            parts[key.strip()] = value.strip()
    return parts


def mp_manifest(*, data_id: str, request_id: str, ts: str) -> str:
    """Mercado Pago's signed template; a part whose value is absent is left out, as its documentation says."""
    manifest = ""
    if data_id:
        manifest += f"id:{data_id.lower() if not data_id.isdigit() else data_id};"
    if request_id:
        manifest += f"request-id:{request_id};"
    if ts:
        manifest += f"ts:{ts};"
    return manifest


def sign_mp(*, secret: str, data_id: str, request_id: str, ts: str) -> str:
    """The v1 value Mercado Pago would send (tests and the dev tools use it)."""
    manifest = mp_manifest(data_id=data_id, request_id=request_id, ts=ts)
    return hmac.new(secret.encode(), manifest.encode(), hashlib.sha256).hexdigest()


def verify_mp_signature(*, secret: str, header: str, request_id: str, data_id: str) -> bool:
    """True when `x-signature` is a valid v1 of this notification under the webhook secret."""
    if not secret or not data_id:
        return False
    parts = _signature_parts(header)
    ts, v1 = parts.get("ts", ""), parts.get("v1", "")
    if not ts or not v1:
        return False
    expected = sign_mp(secret=secret, data_id=data_id, request_id=request_id, ts=ts)
    return hmac.compare_digest(expected, v1.lower())
