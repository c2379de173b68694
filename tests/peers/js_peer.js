#!/usr/bin/env node
// Baggage interop peer backed by @opentelemetry/core's W3CBaggagePropagator.
//
// Used by tests/interop.rs; installed by .ci/setup-peers (pinned in
// package.json / package-lock.json). Only the SDK's own code touches the header.
//
// stdin: a JSON array of requests; stdout: a JSON array of results, in order.
//
//   {"op": "version"}                               -> {"@opentelemetry/api": "...", "@opentelemetry/core": "..."}
//   {"op": "inject", "entries": [[k, v], [k, v, metadata]]}
//                                                   -> the `baggage` header the SDK writes, or null
//   {"op": "extract", "headers": [h, ...]}          -> {key: [value, metadata-or-null]} the SDK reads
//                                                      (one header is a string carrier, several an array)
//   {"op": "relay", "headers": [h, ...]}            -> extract, then inject: the header a JS service
//                                                      forwards, or null
//   {"op": "validate", "schema": s, "instance": v}  -> whether ajv (draft 7) finds v valid against s
//   {"op": "validate_received", "schema": s, "headers": [h, ...]}
//                                                   -> {"valid": ..., "entries": {key: value}}: the
//                                                      SDK's entries, validated by ajv as a JS service would
//
//   echo '[{"op": "extract", "headers": ["k=v;p=1"]}]' | node js_peer.js
'use strict';
const fs = require('fs');
const path = require('path');
const api = require('@opentelemetry/api');
const { W3CBaggagePropagator } = require('@opentelemetry/core');
const Ajv = require('ajv');

const propagator = new W3CBaggagePropagator();
const ajv = new Ajv();
const validators = new Map();

// One compiled validator per schema (ajv's default options: draft 7,
// patterns with the `u` flag, strict about unknown keywords).
function validator(schema) {
  const key = JSON.stringify(schema);
  if (!validators.has(key)) validators.set(key, ajv.compile(schema));
  return validators.get(key);
}

function entriesOf(context) {
  const bag = api.propagation.getBaggage(context);
  const out = {};
  for (const [key, entry] of bag ? bag.getAllEntries() : []) out[key] = entry.value;
  return out;
}

// The version of an installed package (their `exports` hide package.json).
function versionOf(name) {
  let dir = path.dirname(require.resolve(name));
  for (;;) {
    const file = path.join(dir, 'package.json');
    if (fs.existsSync(file)) {
      const pkg = JSON.parse(fs.readFileSync(file, 'utf8'));
      if (pkg.name === name) return pkg.version;
    }
    const up = path.dirname(dir);
    if (up === dir) return null;
    dir = up;
  }
}

function extract(headers) {
  const carrier = { baggage: headers.length === 1 ? headers[0] : headers };
  return propagator.extract(api.ROOT_CONTEXT, carrier, api.defaultTextMapGetter);
}

function inject(context) {
  const carrier = {};
  propagator.inject(context, carrier, api.defaultTextMapSetter);
  return carrier.baggage === undefined ? null : carrier.baggage;
}

function run(request) {
  switch (request.op) {
    case 'version':
      return {
        '@opentelemetry/api': versionOf('@opentelemetry/api'),
        '@opentelemetry/core': versionOf('@opentelemetry/core'),
        ajv: versionOf('ajv'),
      };
    case 'inject': {
      let bag = api.propagation.createBaggage();
      for (const [key, value, metadata] of request.entries) {
        const entry = { value };
        if (metadata != null) entry.metadata = api.baggageEntryMetadataFromString(metadata);
        bag = bag.setEntry(key, entry);
      }
      return inject(api.propagation.setBaggage(api.ROOT_CONTEXT, bag));
    }
    case 'extract': {
      const bag = api.propagation.getBaggage(extract(request.headers));
      const out = {};
      for (const [key, entry] of bag ? bag.getAllEntries() : []) {
        out[key] = [entry.value, entry.metadata ? entry.metadata.toString() : null];
      }
      return out;
    }
    case 'relay':
      return inject(extract(request.headers));
    case 'validate':
      return validator(request.schema)(request.instance);
    case 'validate_received': {
      const entries = entriesOf(extract(request.headers));
      return { valid: validator(request.schema)(entries), entries };
    }
    default:
      throw new Error(`unknown op ${JSON.stringify(request.op)}`);
  }
}

const requests = JSON.parse(fs.readFileSync(0, 'utf8'));
process.stdout.write(JSON.stringify(requests.map(run)) + '\n');
