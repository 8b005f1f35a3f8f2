"""What the API gives back (`...Out`; a refund's `RefundOut` is the application's, which the
CLI's `--json` prints too). Field names are the CLI's JSON names; amounts are
decimal strings. What it takes in are the application's command models
(ledger/app/commands.py), which the CLI fills too.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ledger.app.customer_view import customer_event_doc
from ledger.app.presenters import RefundOut as RefundOut  # the refund of every interface


class EventOut(BaseModel):
    """One stored event, as `ledger history --json` prints it (plus the event's own fields;
    a note's `visibility`)."""

    model_config = ConfigDict(extra="allow")

    version: int
    type: str
    actor: str | None
    at: str


class CustomerRefundOut(BaseModel):
    """A refund as its customer sees it (the customer view: an allow-list). Staff appear by
    role only; `flags` is always empty; policy, tiers and approvals are not shown."""

    model_config = ConfigDict(extra="forbid")

    id: str
    status: str
    order_id: str
    customer_id: str
    currency: str
    requested_amount: str | None
    approved_amount: str | None
    paid_amount: str | None
    order_total: str | None
    reason: str
    channel: str
    method: str
    purchased_on: str | None
    requested_by: str = Field(description="The customer itself, or a staff member's role.")
    flags: list[str] = Field(max_length=0, description="Always empty for a customer.")
    version: int
    created_at: str
    updated_at: str


class CustomerEventOut(BaseModel):
    __doc__ = customer_event_doc()

    model_config = ConfigDict(extra="forbid")

    version: int = Field(description="The refund's own version: left-out events leave gaps.")
    type: str
    actor: str | None = Field(description="The customer itself, or a staff member's role.")
    at: str
    order_id: str | None = None
    customer_id: str | None = None
    amount: str | None = None
    currency: str | None = None
    order_total: str | None = None
    reason: str | None = None
    channel: str | None = None
    method: str | None = None
    purchased_on: str | None = None
    passed: bool | None = None
    approvers: list[str] | None = None
    rationale: str | None = None
    outcome: str | None = None
    previous_status: str | None = None
    note: str | None = None
    text: str | None = None
    visibility: Literal["internal", "customer"] | None = None


# The staff view, or a customer's. Tried left to right, so that a staff answer is validated
# once, as before; EventOut accepts every event (its fields are extra), so CustomerEventOut
# documents what a customer's events hold (tests/unit/test_customer_view.py holds them to it).
RefundView = Annotated[RefundOut | CustomerRefundOut, Field(union_mode="left_to_right")]
EventView = Annotated[EventOut | CustomerEventOut, Field(union_mode="left_to_right")]


class TrailEventOut(BaseModel):
    refund_id: str
    version: int
    type: str
    actor: str | None
    at: str
    summary: str
    policy_version: str | None
    rule: str | None


class RefundPage(BaseModel):
    items: list[RefundOut]
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null on the last page."
    )


class HealthCheck(BaseModel):
    name: Literal["database", "writable", "views"]
    ok: bool
    detail: str


class Health(BaseModel):
    """What /healthz checked, each check with its own words: 200 when all passed; the 503
    problem document carries the same `checks` and names the first that failed (`failed`)."""

    status: Literal["ok"]
    database: Literal["ok"] = Field(description="The database answered a query.")
    writable: Literal["ok"] = Field(
        description="The database takes writes: not read-only, its storage not full."
    )
    views_lag: int = Field(description="Stored events the views have not seen yet.")
    checks: list[HealthCheck]


Json = dict[str, Any]


class ProvenEventOut(BaseModel):
    version: int
    position: int  # the leaf's index in the tree
    notification_id: int
    leaf_hash: str  # base64
    proof: list[str]  # base64 hashes, from the leaf's sibling up (RFC 9162 2.1.3)


class InclusionOut(BaseModel):
    refund_id: str
    tree_size: int
    root_hash: str
    checkpoint: str  # the signed note the proofs are against
    events: list[ProvenEventOut]
    not_yet_checkpointed: list[int]  # versions integrated after the checkpoint


class ConsistencyOut(BaseModel):
    old_size: int
    old_root_hash: str  # the server's own: check the proof against the root you kept
    new_size: int
    new_root_hash: str
    proof: list[str]
    consistent: bool
    checkpoint: str
