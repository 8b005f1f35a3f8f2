"""W3's baseline server: one trivial route on the same stack as `ledger serve`.

`python -m benchmarks.trivial --port P --workers N` runs a FastAPI app whose only route,
POST /echo, validates a small JSON object and answers it back, under uvicorn with the options
and log configuration `ledger serve` uses (httptools, uvloop, no access log). It is a separate
app rather than a route of the product: a route added to the API only for a benchmark would
be one more thing to document, secure and keep; and /healthz is no baseline, as it queries
the database. Its route is a plain `def`, like the ledger's, so it runs in the same thread
pool; what it lacks is what W3 measures: the middleware (request log, body limit, token,
idempotency), the commands and the database.
"""

from __future__ import annotations

import argparse

from fastapi import FastAPI


def create_app() -> FastAPI:
    api = FastAPI(title="W3 baseline")

    @api.post("/echo")
    def echo(body: dict[str, str]) -> dict[str, str]:
        return body

    return api


def main() -> None:
    import uvicorn

    from cli.commands.serve import uvicorn_options

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    options = uvicorn_options("127.0.0.1", args.port, "info")
    if args.workers == 1:
        uvicorn.run(create_app(), **options)
    else:
        uvicorn.run("benchmarks.trivial:create_app", factory=True, workers=args.workers, **options)


if __name__ == "__main__":
    main()
