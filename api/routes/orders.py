"""Orders: capture an order's facts from a trusted source, and read one."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel

from api.deps import Ledger, Queries, Who, in_thread
from api.responses import COMMAND_PROBLEMS, READ_PROBLEMS
from api.routes.keys import KEYED, command_key, key_of
from ledger.app import inputs
from ledger.app.commands import OrderIn
from ledger.app.orders import OrderCapture, order_for

router = APIRouter(tags=["orders"])


class OrderOut(BaseModel):
    """An order, as `ledger order show --json` prints it."""

    order_id: str
    customer_id: str | None
    total: str
    currency: str
    purchased_on: str | None
    address: str | None
    refundable: str
    refunds: list[str]
    recorded_by: str | None
    source: str
    version: int
    recorded_at: str
    updated_at: str


@router.post(
    "/orders",
    name="order_capture",
    response_model=OrderOut,
    responses={**COMMAND_PROBLEMS, 201: {"model": OrderOut, "description": "The order, recorded"}},
    **KEYED,
)
@in_thread
def capture_order(
    body: OrderIn, response: Response, ledger: Ledger, who: Who, request: Request
) -> dict[str, Any]:
    """Record an order's facts from a trusted source (201 when stored, 200 when the same facts
    were already on record); different facts for a known order are refused. A retry with the
    Idempotency-Key of a capture answers that capture's status and order again."""
    order, keyed = OrderCapture.of(body), command_key(key_of(request))
    found, changed = ledger.capture_order(who, order, keyed)
    response.status_code = 201 if changed and found.version == 1 else 200
    response.headers["Location"] = f"/orders/{found.order_id}"
    if keyed is not None and keyed.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return order_for(who, found)


@router.get("/orders/{order_id}", name="order_show", response_model=OrderOut,
            responses=READ_PROBLEMS)  # fmt: skip
@in_thread
def show_order(order_id: str, queries: Queries, who: Who) -> dict[str, Any]:
    """The order; a customer sees only their own orders (anything else is 404)."""
    return queries.order(who, inputs.identifier(order_id, "order id"))
