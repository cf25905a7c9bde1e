"""The Mercado Pago adapter against a real local HTTP server answering Mercado Pago's documented shapes.

Shapes followed (Mercado Pago developers documentation; pages found with the project's search tool):
- Checkout Pro, create a preference: POST https://api.mercadopago.com/checkout/preferences
  https://www.mercadopago.com.ar/developers/es/reference/preferences/_checkout_preferences/post
  https://www.mercadopago.com.mx/developers/en/docs/checkout-pro/create-payment-preference
  (items[{id, title, quantity, unit_price, currency_id}], external_reference, notification_url,
  back_urls{success, failure, pending}, auto_return "approved"; the answer carries id, init_point and
  sandbox_init_point)
- Get a payment: GET https://api.mercadopago.com/v1/payments/{id}
  https://www.mercadopago.com.ar/developers/es/reference/payments/_payments_id/get
  https://www.mercadopago.com.mx/developers/en/docs/checkout-api-payments/response-handling/query-results
  (id, status approved|rejected|pending|in_process|cancelled|…, status_detail such as accredited,
  external_reference, transaction_amount)
- Webhooks and the x-signature check (ts=…,v1=…; manifest "id:{data.id};request-id:{x-request-id};ts:{ts};",
  HMAC-SHA256 hex with the webhook secret; data.id is read from the notification URL's query, in lower case
  when it is alphanumeric):
  https://www.mercadopago.com.ar/developers/es/docs/your-integrations/notifications/webhooks
  https://www.mercadopago.com.br/developers/en/docs/checkout-pro/payment-notifications
- IPN notifications "do not allow validation through the secret key": the preference's notification_url asks
  for Webhooks only (source_news=webhooks):
  https://www.mercadopago.com.br/developers/en/docs/checkout-pro/additional-content/notifications/ipn
"""

from __future__ import annotations

import hashlib
import hmac

import pytest
from aiohttp import web

from autogestion.adapters.payments import (
    DemoProvider,
    MercadoPagoProvider,
    ProviderError,
    amount_to_cents,
    build_provider,
    mp_manifest,
    sign_mp,
    verify_mp_signature,
    webhooks_only,
)
from autogestion.config import load_settings

TOKEN = "TEST-0000000000000000-000000-abcdefabcdefabcdefabcdefabcdefab-000000000"


class FakeMercadoPago:
    """A local aiohttp server on 127.0.0.1 standing in for api.mercadopago.com."""

    def __init__(self, token: str = TOKEN) -> None:
        self.token = token
        self.preferences: list[dict] = []
        self.preference_headers: list[dict] = []
        self.payments: dict[str, dict] = {}
        self.fail = False
        self.lookups: list[str] = []
        self.url = ""
        self._runner: web.AppRunner | None = None

    def _authorised(self, request: web.Request) -> bool:
        return request.headers.get("Authorization") == f"Bearer {self.token}"

    async def _preference(self, request: web.Request) -> web.Response:
        if self.fail:
            return web.json_response({"message": "internal_error"}, status=500)
        if not self._authorised(request):
            return web.json_response({"message": "invalid access token", "status": 401}, status=401)
        body = await request.json()
        self.preferences.append(body)
        self.preference_headers.append(dict(request.headers))
        pref_id = f"123456789-pref{len(self.preferences)}"
        return web.json_response(
            {
                "id": pref_id,
                "collector_id": 123456789,
                "external_reference": body.get("external_reference"),
                "items": body.get("items"),
                "init_point": f"https://www.mercadopago.com.ar/checkout/v1/redirect?pref_id={pref_id}",
                "sandbox_init_point": f"https://sandbox.mercadopago.com.ar/checkout/v1/redirect?pref_id={pref_id}",
            },
            status=201,
        )

    async def _payment(self, request: web.Request) -> web.Response:
        payment_id = request.match_info["id"]
        self.lookups.append(payment_id)
        if self.fail:
            return web.json_response({"message": "internal_error"}, status=500)
        if not self._authorised(request):
            return web.json_response({"message": "invalid access token", "status": 401}, status=401)
        if payment_id not in self.payments:
            return web.json_response(
                {"message": "Payment not found", "error": "not_found", "status": 404, "cause": []}, status=404
            )
        return web.json_response(self.payments[payment_id])

    def add_payment(self, payment_id: str, *, status: str, reference: str, amount: float, detail: str = "") -> None:
        self.payments[payment_id] = {
            "id": int(payment_id),
            "status": status,
            "status_detail": detail
            or {"approved": "accredited", "rejected": "cc_rejected_other_reason"}.get(status, "pending_contingency"),
            "external_reference": reference,
            "transaction_amount": amount,
            "currency_id": "ARS",
            "date_created": "2026-11-28T12:00:00.000-03:00",
            "payment_method_id": "visa",
        }

    async def start(self) -> FakeMercadoPago:
        app = web.Application()
        app.router.add_post("/checkout/preferences", self._preference)
        app.router.add_get("/v1/payments/{id}", self._payment)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()


@pytest.fixture
async def mp():
    server = await FakeMercadoPago().start()
    yield server
    await server.stop()


def provider(server: FakeMercadoPago, token: str = TOKEN) -> MercadoPagoProvider:
    return MercadoPagoProvider(access_token=token, api_url=server.url)


async def test_create_checkout_sends_a_documented_preference(mp):
    url = await provider(mp).create_checkout(
        payment_id="a" * 32,
        title="Factura N° 0012-00000001 — Suministro N° 2000380655",
        amount_cents=1234567,
        return_url="https://portal.example/suministros/2000380655",
        notification_url="https://portal.example/api/pagos/mercadopago",
    )
    assert url == "https://www.mercadopago.com.ar/checkout/v1/redirect?pref_id=123456789-pref1"
    (sent,) = mp.preferences
    assert sent["items"] == [
        {
            "id": "a" * 32,
            "title": "Factura N° 0012-00000001 — Suministro N° 2000380655",
            "quantity": 1,
            "unit_price": 12345.67,
            "currency_id": "ARS",
        }
    ]
    assert sent["external_reference"] == "a" * 32
    # Webhooks only: IPN notifications cannot be checked with the secret (see the IPN page above).
    assert sent["notification_url"] == "https://portal.example/api/pagos/mercadopago?source_news=webhooks"
    assert sent["back_urls"] == {
        "success": "https://portal.example/suministros/2000380655",
        "failure": "https://portal.example/suministros/2000380655",
        "pending": "https://portal.example/suministros/2000380655",
    }
    assert sent["auto_return"] == "approved"
    assert mp.preference_headers[0]["X-Idempotency-Key"] == "a" * 32


async def test_get_payment_reads_the_documented_fields(mp):
    mp.add_payment("1319263385", status="approved", reference="b" * 32, amount=12345.67)
    found = await provider(mp).get_payment("1319263385")
    assert found is not None
    assert (found.external_id, found.status, found.status_detail) == ("1319263385", "approved", "accredited")
    assert (found.external_reference, found.amount_cents) == ("b" * 32, 1234567)


async def test_unknown_payment_is_none_and_bad_ids_never_reach_the_server(mp):
    assert await provider(mp).get_payment("999") is None
    assert await provider(mp).get_payment("../checkout/preferences") is None
    assert mp.lookups == ["999"]


async def test_errors_become_provider_errors(mp):
    with pytest.raises(ProviderError):
        await provider(mp, token="wrong").get_payment("1")
    mp.fail = True
    with pytest.raises(ProviderError):
        await provider(mp).create_checkout(
            payment_id="a" * 32, title="x", amount_cents=100, return_url="https://x/", notification_url="https://x/"
        )
    await mp.stop()
    with pytest.raises(ProviderError):
        await provider(mp).get_payment("1")


def test_amounts_round_to_cents():
    assert amount_to_cents(100) == 10000
    assert amount_to_cents(0.1 + 0.2) == 30
    assert amount_to_cents("1234.565") == 123457
    for bad in (None, True, "abc", [1]):
        with pytest.raises(ProviderError):
            amount_to_cents(bad)


def test_signature_follows_the_documented_manifest():
    secret = "webhook-secret"
    manifest = "id:123456;request-id:bb56a2f1-6aae-46ac-982e-9dcd3581d08e;ts:1742505638683;"
    assert mp_manifest(data_id="123456", request_id="bb56a2f1-6aae-46ac-982e-9dcd3581d08e", ts="1742505638683") == (
        manifest
    )
    v1 = hmac.new(secret.encode(), manifest.encode(), hashlib.sha256).hexdigest()
    assert (
        sign_mp(secret=secret, data_id="123456", request_id="bb56a2f1-6aae-46ac-982e-9dcd3581d08e", ts="1742505638683")
        == v1
    )
    header = f"ts=1742505638683,v1={v1}"
    ok = {"secret": secret, "request_id": "bb56a2f1-6aae-46ac-982e-9dcd3581d08e", "data_id": "123456"}
    assert verify_mp_signature(header=header, **ok)
    assert verify_mp_signature(header=f" ts=1742505638683 , v1={v1.upper()}", **ok)
    assert not verify_mp_signature(header=header, **{**ok, "data_id": "123457"})
    assert not verify_mp_signature(header=header, **{**ok, "request_id": "other"})
    assert not verify_mp_signature(header=header, **{**ok, "secret": "other"})
    assert not verify_mp_signature(header=f"ts=1742505638684,v1={v1}", **ok)
    assert not verify_mp_signature(header="", **ok)
    assert not verify_mp_signature(header=f"v1={v1}", **ok)
    assert not verify_mp_signature(header=header, **{**ok, "secret": ""})
    # An alphanumeric data.id is signed in lower case, as the webhooks page says.
    assert mp_manifest(data_id="ABC123", request_id="r", ts="1") == "id:abc123;request-id:r;ts:1;"
    v1 = sign_mp(secret=secret, data_id="abc123", request_id="r", ts="1")
    assert verify_mp_signature(secret=secret, header=f"ts=1,v1={v1}", request_id="r", data_id="ABC123")


def test_webhooks_only_keeps_the_notification_urls_own_query():
    assert webhooks_only("https://p.example/api/pagos/mercadopago") == (
        "https://p.example/api/pagos/mercadopago?source_news=webhooks"
    )
    assert (
        webhooks_only("https://p.example/api?x=1&source_news=ipn") == "https://p.example/api?x=1&source_news=webhooks"
    )


def test_settings_pick_the_provider():
    assert isinstance(build_provider(load_settings({})), DemoProvider)
    chosen = build_provider(
        load_settings({"AUTOGESTION_PAYMENTS": "mercadopago", "AUTOGESTION_MP_ACCESS_TOKEN": TOKEN})
    )
    assert isinstance(chosen, MercadoPagoProvider)


async def test_demo_checkout_is_a_page_of_the_portal():
    url = await DemoProvider().create_checkout(
        payment_id="c" * 32, title="x", amount_cents=1, return_url="/", notification_url="/"
    )
    assert url == "/pagos/demo/" + "c" * 32
    assert await DemoProvider().get_payment("1") is None
