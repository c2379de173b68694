#!/usr/bin/env python3
"""Baggage interop peer backed by opentelemetry-api's W3CBaggagePropagator.

Used by tests/interop.rs; installed by .ci/setup-peers (pinned in
requirements.txt). Only the SDK's own code touches the header.

stdin:  a JSON array of requests; stdout: a JSON array of results, in order.

  {"op": "version"}                       -> {"opentelemetry-api": "1.45.2"}
  {"op": "inject", "entries": [[k, v]]}   -> the `baggage` header the SDK writes, or null
  {"op": "extract", "headers": [h, ...]}  -> {key: value} the SDK reads (one header is a
                                             string carrier, several a list carrier)
  {"op": "relay", "headers": [h, ...]}    -> extract, then inject: the header a Python
                                             service forwards, or null
  {"op": "validate", "schema": s, "instance": v}
                                          -> whether jsonschema (draft 7) finds v valid
  {"op": "validate_received", "schema": s, "headers": [h, ...]}
                                          -> {"valid": ..., "entries": {key: value}}: the SDK's
                                             entries, validated as a Python service would

Python baggage has no metadata: properties (`;p=1`) stay in the value.

  echo '[{"op": "extract", "headers": ["k=a+b%2B"]}]' | python py_peer.py
"""
import json
import sys
from importlib.metadata import version

from opentelemetry import baggage
from opentelemetry.baggage.propagation import W3CBaggagePropagator
from opentelemetry.context import Context

PROPAGATOR = W3CBaggagePropagator()


def extract(headers):
    carrier = {"baggage": headers[0] if len(headers) == 1 else list(headers)}
    return PROPAGATOR.extract(carrier, context=Context())


def inject(ctx):
    carrier = {}
    PROPAGATOR.inject(carrier, context=ctx)
    return carrier.get("baggage")


def validator(schema):
    """A draft 7 validator of `schema`, which must itself be a valid schema."""
    import jsonschema

    jsonschema.Draft7Validator.check_schema(schema)
    return jsonschema.Draft7Validator(schema)


def run(request):
    op = request["op"]
    if op == "version":
        return {"opentelemetry-api": version("opentelemetry-api")}
    if op == "inject":
        ctx = Context()
        for key, value in request["entries"]:
            ctx = baggage.set_baggage(key, value, context=ctx)
        return inject(ctx)
    if op == "extract":
        return dict(baggage.get_all(context=extract(request["headers"])))
    if op == "relay":
        return inject(extract(request["headers"]))
    if op == "validate":
        return validator(request["schema"]).is_valid(request["instance"])
    if op == "validate_received":
        entries = dict(baggage.get_all(context=extract(request["headers"])))
        return {"valid": validator(request["schema"]).is_valid(entries), "entries": entries}
    raise ValueError(f"unknown op {op!r}")


def main():
    requests = json.loads(sys.stdin.buffer.read().decode("utf-8"))
    results = [run(request) for request in requests]
    sys.stdout.write(json.dumps(results, ensure_ascii=True) + "\n")


if __name__ == "__main__":
    main()
