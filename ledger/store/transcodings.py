"""Store pydantic payloads as JSON through the eventsourcing transcoder."""

from __future__ import annotations

from typing import Any

from eventsourcing.persistence import JSONTranscoder, Transcoding
from pydantic import BaseModel

from ledger.domain.payloads import ALL_PAYLOADS


class PydanticTranscoding(Transcoding):
    """One transcoding per payload class, named after it."""

    def __init__(self, model: type[BaseModel]) -> None:
        self.type = model
        self.model = model
        self.name = model.__name__

    def encode(self, obj: BaseModel) -> dict[str, Any]:
        return obj.model_dump(mode="json")

    def decode(self, data: dict[str, Any]) -> BaseModel:
        return self.model.model_validate(data)


def register_payloads(transcoder: JSONTranscoder) -> None:
    for model in ALL_PAYLOADS:
        transcoder.register(PydanticTranscoding(model))
