"""The audit log over HTTP: the latest signed checkpoint and the proofs against it.

The checkpoint is served as it was signed (a C2SP signed note, text/plain): a client keeps
it, and checks later answers against it with the log's verifier key, trusting nothing else
the server says.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import PlainTextResponse

from api.deps import Queries, Who, in_thread
from api.models import ConsistencyOut, InclusionOut
from api.responses import READ_PROBLEMS
from ledger.app import inputs

router = APIRouter(tags=["audit"], responses=READ_PROBLEMS)
NOTE = "text/plain; charset=utf-8"


@router.get(
    "/audit/checkpoint",
    name="audit_checkpoint",
    response_class=PlainTextResponse,
    responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}}}},
)
@in_thread
def checkpoint(queries: Queries, who: Who) -> PlainTextResponse:
    """The latest signed checkpoint (origin, tree size, root hash, signature lines); 404
    while none has been signed."""
    return PlainTextResponse(queries.audit.checkpoint(who), media_type=NOTE)


@router.get("/audit/proofs/inclusion", name="audit_inclusion", response_model=InclusionOut)
@in_thread
def inclusion(queries: Queries, who: Who, refund: Annotated[str, Query()]) -> dict[str, Any]:
    """Each event of the refund with its inclusion proof in the latest checkpoint (as
    `ledger audit prove ID --json`)."""
    refund_id = inputs.refund_id(refund)
    return queries.audit.inclusion(who, refund_id).as_json(str(refund_id))


@router.get("/audit/proofs/consistency", name="audit_consistency", response_model=ConsistencyOut)
@in_thread
def consistency(
    queries: Queries, who: Who, old_size: Annotated[int, Query(ge=0)]
) -> dict[str, Any]:
    """The proof that the latest checkpoint extends the log's tree of `old_size` leaves:
    check it against the root of the checkpoint of that size you kept."""
    return queries.audit.consistency(who, old_size).as_json()
