//! `SCHEMA` written down: serialized with serde (JSON) and rendered as one
//! Markdown table, both checked to the byte.

use std::net::IpAddr;

use typed_baggage::prelude::*;
use typed_baggage::schema::markdown_table;

#[derive(Baggage, Debug, Clone, Copy, PartialEq)]
#[baggage(rename_all = "snake_case")]
enum Tier {
    Free,
    Premium,
}

/// Who is calling, set once at the gateway.
#[derive(Baggage)]
#[baggage(prefix = "app.", max_bytes = 512)]
#[allow(dead_code)]
struct UserCtx {
    /// The account id.
    user_id: u64,
    /// The plan the account pays for.
    #[baggage(metric_label)]
    tier: Tier,
    /// Where the user is:
    /// a region name | or absent.
    #[baggage(rename = "geo")]
    region: Option<String>,
    #[baggage(default)]
    retries: u8,
    #[baggage(from_str)]
    client_ip: Option<IpAddr>,
    #[baggage(skip)]
    cache: u32,
}

/// Feature flags.
#[derive(Baggage)]
#[baggage(prefix = "ff.")]
#[allow(dead_code)]
struct Flags {
    /// The new checkout page.
    #[baggage(metric_label)]
    new_checkout: bool,
    variants: Vec<String>,
}

#[test]
fn schema_serializes_to_json() {
    let json = serde_json::to_string_pretty(&UserCtx::SCHEMA).unwrap();
    assert_eq!(
        json,
        r#"{
  "name": "UserCtx",
  "crate": "typed-baggage",
  "doc": "Who is calling, set once at the gateway.",
  "prefix": "app.",
  "max_bytes": 512,
  "fields": [
    {
      "key": "app.user_id",
      "field": "user_id",
      "rust_type": "u64",
      "format": "an unsigned 64-bit integer (u64)",
      "wire": {
        "kind": "integer",
        "min": "0",
        "max": "18446744073709551615"
      },
      "requirement": "required",
      "cardinality": "high",
      "metric_label": false,
      "doc": "The account id.",
      "max_len": null,
      "max_item_len": null,
      "max_wire_len": 20
    },
    {
      "key": "app.tier",
      "field": "tier",
      "rust_type": "Tier",
      "format": "one of `free`, `premium` (Tier)",
      "wire": {
        "kind": "enum",
        "variants": [
          "free",
          "premium"
        ]
      },
      "requirement": "required",
      "cardinality": "low",
      "metric_label": true,
      "doc": "The plan the account pays for.",
      "max_len": null,
      "max_item_len": null,
      "max_wire_len": 7
    },
    {
      "key": "app.geo",
      "field": "region",
      "rust_type": "Option<String>",
      "format": "any text (String)",
      "wire": {
        "kind": "text"
      },
      "requirement": "optional",
      "cardinality": "high",
      "metric_label": false,
      "doc": "Where the user is:\na region name | or absent.",
      "max_len": null,
      "max_item_len": null,
      "max_wire_len": null
    },
    {
      "key": "app.retries",
      "field": "retries",
      "rust_type": "u8",
      "format": "an unsigned 8-bit integer (u8)",
      "wire": {
        "kind": "integer",
        "min": "0",
        "max": "255"
      },
      "requirement": "default",
      "cardinality": "high",
      "metric_label": false,
      "doc": "",
      "max_len": null,
      "max_item_len": null,
      "max_wire_len": 3
    },
    {
      "key": "app.client_ip",
      "field": "client_ip",
      "rust_type": "Option<IpAddr>",
      "format": "a `IpAddr` in its `FromStr` form",
      "wire": {
        "kind": "custom",
        "expected": "a `IpAddr` in its `FromStr` form"
      },
      "requirement": "optional",
      "cardinality": "high",
      "metric_label": false,
      "doc": "",
      "max_len": null,
      "max_item_len": null,
      "max_wire_len": null
    }
  ],
  "flattened": [],
  "signature": null,
  "local": false
}"#
    );
}

#[test]
fn several_schemas_serialize_as_a_list() {
    let json = serde_json::to_value([UserCtx::SCHEMA, Flags::SCHEMA]).unwrap();
    let keys: Vec<&str> = json
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["fields"].as_array().unwrap())
        .map(|f| f["key"].as_str().unwrap())
        .collect();
    assert_eq!(
        keys,
        [
            "app.user_id",
            "app.tier",
            "app.geo",
            "app.retries",
            "app.client_ip",
            "ff.new_checkout",
            "ff.variants"
        ]
    );
    assert_eq!(json[1]["max_bytes"], serde_json::Value::Null);
}

#[test]
fn several_schemas_render_as_one_markdown_table() {
    assert_eq!(
        markdown_table(&[UserCtx::SCHEMA, Flags::SCHEMA]),
        "\
| key | field | Rust type | format | presence | cardinality | metric label | description |
|---|---|---|---|---|---|---|---|
| `app.user_id` | `UserCtx.user_id` | `u64` | an unsigned 64-bit integer (u64) | required | high | no | The account id. |
| `app.tier` | `UserCtx.tier` | `Tier` | one of `free`, `premium` (Tier) | required | low | yes | The plan the account pays for. |
| `app.geo` | `UserCtx.region` | `Option<String>` | any text (String) | optional | high | no | Where the user is:<br>a region name \\| or absent. |
| `app.retries` | `UserCtx.retries` | `u8` | an unsigned 8-bit integer (u8) | default | high | no |  |
| `app.client_ip` | `UserCtx.client_ip` | `Option<IpAddr>` | a `IpAddr` in its `FromStr` form | optional | high | no |  |
| `ff.new_checkout` | `Flags.new_checkout` | `bool` | a boolean (`true` or `false`, any letter case) | required | low | yes | The new checkout page. |
| `ff.variants` | `Flags.variants` | `Vec<String>` | a comma-separated list | required | high | no |  |
"
    );
}

#[test]
fn no_schemas_is_the_header_alone() {
    assert_eq!(
        markdown_table(&[]),
        "| key | field | Rust type | format | presence | cardinality | metric label | description |\n|---|---|---|---|---|---|---|---|\n"
    );
}
