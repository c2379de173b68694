//! The compatibility check through the public API, with schemas made by
//! `#[derive(Baggage)]`: every incompatibility the check knows, found with
//! its key and both sides, and compatible pairs passing.

use baggage_contract::{check, check_reader, Kind, Problem, Report, Role};
use typed_baggage::schema::document::Document;
use typed_baggage::{Baggage, Schema};

fn writer(service: &str, schemas: &[&Schema]) -> Document {
    Document::new(service, schemas, &[])
}

fn reader(service: &str, schemas: &[&Schema]) -> Document {
    Document::new(service, &[], schemas)
}

/// `gateway` writes `w`, `billing` reads `r`.
fn pair(w: &Schema, r: &Schema) -> Report {
    check(&[writer("gateway", &[w]), reader("billing", &[r])])
}

/// The one problem of a report, which must have exactly one.
fn only(report: &Report) -> &Problem {
    assert_eq!(report.problems.len(), 1, "one problem expected:\n{report}");
    &report.problems[0]
}

fn sides(p: &Problem) -> Vec<(Role, &str, &str)> {
    p.sides
        .iter()
        .map(|s| (s.role, s.service.as_str(), s.schema.as_str()))
        .collect()
}

mod v {
    //! Schemas of the same name in different shapes, as two services (or
    //! two versions) declare them.
    use typed_baggage::prelude::*;

    #[derive(Baggage, Clone, Copy)]
    #[baggage(rename_all = "snake_case")]
    pub enum Tier2 {
        Free,
        Premium,
    }

    #[derive(Baggage, Clone, Copy)]
    #[baggage(rename_all = "snake_case")]
    pub enum Tier3 {
        Free,
        Premium,
        Enterprise,
    }

    pub mod base {
        use typed_baggage::prelude::*;
        #[derive(Baggage)]
        #[baggage(prefix = "app.")]
        pub struct UserCtx {
            pub user_id: u64,
            pub tier: super::Tier2,
            pub region: Option<String>,
        }
    }
    pub mod u32_id {
        use typed_baggage::prelude::*;
        #[derive(Baggage)]
        #[baggage(prefix = "app.")]
        pub struct UserCtx {
            pub user_id: u32,
            pub tier: super::Tier2,
            pub region: Option<String>,
        }
    }
    pub mod i8_id {
        use typed_baggage::prelude::*;
        #[derive(Baggage)]
        #[baggage(prefix = "app.")]
        pub struct UserCtx {
            pub user_id: i8,
            pub tier: super::Tier2,
            pub region: Option<String>,
        }
    }
    pub mod float_id {
        use typed_baggage::prelude::*;
        #[derive(Baggage)]
        #[baggage(prefix = "app.")]
        pub struct UserCtx {
            pub user_id: f64,
            pub tier: super::Tier2,
            pub region: Option<String>,
        }
    }
    pub mod list_id {
        use typed_baggage::prelude::*;
        #[derive(Baggage)]
        #[baggage(prefix = "app.")]
        pub struct UserCtx {
            pub user_id: Vec<u64>,
            pub tier: super::Tier2,
            pub region: Option<String>,
        }
    }
    pub mod three_tiers {
        use typed_baggage::prelude::*;
        #[derive(Baggage)]
        #[baggage(prefix = "app.")]
        pub struct UserCtx {
            pub user_id: u64,
            pub tier: super::Tier3,
            pub region: Option<String>,
        }
    }
    pub mod region_required {
        use typed_baggage::prelude::*;
        #[derive(Baggage)]
        #[baggage(prefix = "app.")]
        pub struct UserCtx {
            pub user_id: u64,
            pub tier: super::Tier2,
            pub region: String,
        }
    }
    pub mod region_bounded {
        use typed_baggage::prelude::*;
        #[derive(Baggage)]
        #[baggage(prefix = "app.")]
        pub struct UserCtx {
            pub user_id: u64,
            pub tier: super::Tier2,
            #[baggage(max_len = 8)]
            pub region: Option<String>,
        }
    }
    pub mod region_bounded_16 {
        use typed_baggage::prelude::*;
        #[derive(Baggage)]
        #[baggage(prefix = "app.")]
        pub struct UserCtx {
            pub user_id: u64,
            pub tier: super::Tier2,
            #[baggage(max_len = 16)]
            pub region: Option<String>,
        }
    }
    pub mod with_session {
        use typed_baggage::prelude::*;
        #[derive(Baggage)]
        #[baggage(prefix = "app.")]
        pub struct UserCtx {
            pub user_id: u64,
            pub tier: super::Tier2,
            pub region: Option<String>,
            pub session: String,
        }
    }
    pub mod signed {
        use typed_baggage::prelude::*;
        #[derive(Baggage)]
        #[baggage(prefix = "app.", signed)]
        pub struct UserCtx {
            pub user_id: u64,
            pub tier: super::Tier2,
            pub region: Option<String>,
        }
    }
    pub mod signed_bound {
        use typed_baggage::prelude::*;
        #[derive(Baggage)]
        #[baggage(prefix = "app.", signed, bind_trace)]
        pub struct UserCtx {
            pub user_id: u64,
            pub tier: super::Tier2,
            pub region: Option<String>,
        }
    }
    pub mod signed_renamed {
        use typed_baggage::prelude::*;
        #[derive(Baggage)]
        #[baggage(prefix = "app.", signed)]
        pub struct Caller {
            pub user_id: u64,
            pub tier: super::Tier2,
            pub region: Option<String>,
        }
    }
    pub mod signed_more {
        use typed_baggage::prelude::*;
        #[derive(Baggage)]
        #[baggage(prefix = "app.", signed)]
        pub struct UserCtx {
            pub user_id: u64,
            pub tier: super::Tier2,
            pub region: Option<String>,
            pub plan: Option<String>,
        }
    }
    pub mod tags {
        use typed_baggage::prelude::*;
        #[derive(Baggage)]
        #[baggage(prefix = "req.")]
        pub struct Tags {
            #[baggage(max_len = 4, max_item_len = 10)]
            pub tags: Vec<String>,
        }
    }
    pub mod tags_tight {
        use typed_baggage::prelude::*;
        #[derive(Baggage)]
        #[baggage(prefix = "req.")]
        pub struct Tags {
            #[baggage(max_len = 2, max_item_len = 3)]
            pub tags: Vec<String>,
        }
    }
    pub mod other_team {
        use typed_baggage::prelude::*;
        /// Another team's schema that happens to use `app.user_id`.
        #[derive(Baggage)]
        #[baggage(prefix = "app.")]
        pub struct Account {
            pub user_id: String,
        }
    }
    pub mod plan {
        use typed_baggage::prelude::*;
        /// The plan, written by the plans service.
        #[derive(Baggage)]
        #[baggage(prefix = "app.")]
        pub struct Plan {
            pub plan: Option<String>,
        }
    }
    pub mod flat {
        use typed_baggage::prelude::*;
        #[derive(Baggage)]
        #[baggage(prefix = "user.")]
        pub struct User {
            pub id: u64,
        }
        #[derive(Baggage)]
        #[baggage(prefix = "app.")]
        pub struct Request {
            #[baggage(flatten, prefix = "payer.")]
            pub payer: User,
            pub tier: String,
        }
        #[derive(Baggage)]
        #[baggage(prefix = "payer.")]
        pub struct Payer {
            pub id: u16,
        }
    }
}

#[test]
fn the_same_schema_on_both_sides_is_compatible() {
    let report = pair(&v::base::UserCtx::SCHEMA, &v::base::UserCtx::SCHEMA);
    assert!(report.is_compatible(), "{report}");
    assert_eq!(report.keys_checked, 3);
    assert_eq!(
        report.to_string(),
        "compatible: 3 keys read across 2 services (gateway, billing)\n"
    );
}

#[test]
fn a_required_key_no_writer_emits() {
    let report = pair(&v::base::UserCtx::SCHEMA, &v::with_session::UserCtx::SCHEMA);
    let p = only(&report);
    assert_eq!((p.kind, p.key.as_str()), (Kind::NotWritten, "app.session"));
    assert_eq!(sides(p), [(Role::Reader, "billing", "UserCtx")]);
    // Nobody writes anything: every required key is reported, the optional one is not.
    let report = check(&[reader("billing", &[&v::base::UserCtx::SCHEMA])]);
    let keys: Vec<_> = report
        .of_kind(Kind::NotWritten)
        .map(|p| p.key.as_str())
        .collect();
    assert_eq!(keys, ["app.user_id", "app.tier"]);
}

#[test]
fn a_required_key_a_writer_may_omit() {
    let report = pair(
        &v::base::UserCtx::SCHEMA,
        &v::region_required::UserCtx::SCHEMA,
    );
    let p = only(&report);
    assert_eq!((p.kind, p.key.as_str()), (Kind::MayBeOmitted, "app.region"));
    assert_eq!(
        sides(p),
        [
            (Role::Writer, "gateway", "UserCtx"),
            (Role::Reader, "billing", "UserCtx")
        ]
    );
    assert_eq!(
        p.sides[0].entry.as_ref().unwrap().rust_type,
        "Option<String>"
    );
    assert_eq!(p.sides[1].entry.as_ref().unwrap().rust_type, "String");
}

#[test]
fn integer_widths() {
    let report = pair(&v::base::UserCtx::SCHEMA, &v::u32_id::UserCtx::SCHEMA);
    let p = only(&report);
    assert_eq!(
        (p.kind, p.key.as_str()),
        (Kind::FormatMismatch, "app.user_id")
    );
    assert_eq!(
        p.message,
        "u64 written, u32 read: values from 0 to 18446744073709551615 do not all fit"
    );
    assert_eq!(p.sides[0].entry.as_ref().unwrap().rust_type, "u64");
    assert_eq!(p.sides[1].entry.as_ref().unwrap().rust_type, "u32");

    let report = pair(&v::base::UserCtx::SCHEMA, &v::i8_id::UserCtx::SCHEMA);
    assert!(only(&report).message.starts_with("u64 written, i8 read"));

    // Narrower written than read is fine.
    let report = pair(&v::u32_id::UserCtx::SCHEMA, &v::base::UserCtx::SCHEMA);
    assert!(report.is_compatible(), "{report}");
}

#[test]
fn a_float_read_as_an_integer_and_lists_as_scalars() {
    let report = pair(&v::float_id::UserCtx::SCHEMA, &v::base::UserCtx::SCHEMA);
    let p = only(&report);
    assert_eq!(p.kind, Kind::FormatMismatch);
    assert_eq!(
        p.message,
        "a float read as an integer: f64 written, u64 read"
    );

    // u64 read as f64: precision beyond 2^53 is lost.
    let report = pair(&v::base::UserCtx::SCHEMA, &v::float_id::UserCtx::SCHEMA);
    assert!(only(&report).message.contains("beyond 2^53"), "{report}");

    let report = pair(&v::list_id::UserCtx::SCHEMA, &v::base::UserCtx::SCHEMA);
    assert_eq!(
        only(&report).message,
        "a list read as a scalar: list of u64 written, u64 read"
    );
    let report = pair(&v::base::UserCtx::SCHEMA, &v::list_id::UserCtx::SCHEMA);
    assert_eq!(
        only(&report).message,
        "a scalar read as a list: u64 written, list of u64 read"
    );
}

#[test]
fn enum_variants_the_reader_does_not_know() {
    let report = pair(&v::three_tiers::UserCtx::SCHEMA, &v::base::UserCtx::SCHEMA);
    let p = only(&report);
    assert_eq!(
        (p.kind, p.key.as_str()),
        (Kind::UnknownVariants, "app.tier")
    );
    assert_eq!(
        p.message,
        "the writer may send `enterprise` that the reader does not know"
    );
    // Fewer variants written than read is fine.
    let report = pair(&v::base::UserCtx::SCHEMA, &v::three_tiers::UserCtx::SCHEMA);
    assert!(report.is_compatible(), "{report}");
}

#[test]
fn a_reader_max_len_tighter_than_the_writer() {
    // Unbounded written, bounded read.
    let report = pair(
        &v::base::UserCtx::SCHEMA,
        &v::region_bounded::UserCtx::SCHEMA,
    );
    let p = only(&report);
    assert_eq!(
        (p.kind, p.key.as_str()),
        (Kind::MaxLenTighter, "app.region")
    );
    assert_eq!(
        p.message,
        "the reader takes at most 8 characters, the writer may write any number"
    );
    let report = pair(
        &v::region_bounded_16::UserCtx::SCHEMA,
        &v::region_bounded::UserCtx::SCHEMA,
    );
    assert_eq!(
        only(&report).message,
        "the reader takes at most 8 characters, the writer may write 16"
    );
    // Looser read than written is fine.
    let report = pair(
        &v::region_bounded::UserCtx::SCHEMA,
        &v::region_bounded_16::UserCtx::SCHEMA,
    );
    assert!(report.is_compatible(), "{report}");

    // Lists: elements and element length.
    let report = pair(&v::tags::Tags::SCHEMA, &v::tags_tight::Tags::SCHEMA);
    let kinds: Vec<_> = report
        .problems
        .iter()
        .map(|p| (p.kind, p.message.as_str()))
        .collect();
    assert_eq!(
        kinds,
        [
            (
                Kind::MaxLenTighter,
                "the reader takes at most 2 elements, the writer may write 4"
            ),
            (
                Kind::MaxItemLenTighter,
                "the reader takes elements of at most 3 characters, the writer's may have 10"
            ),
        ]
    );
}

#[test]
fn a_signed_reader_behind_an_unsigned_writer() {
    let report = pair(&v::base::UserCtx::SCHEMA, &v::signed::UserCtx::SCHEMA);
    let p = only(&report);
    assert_eq!((p.kind, p.key.as_str()), (Kind::Unsigned, "app.sig"));
    assert_eq!(
        sides(p),
        [
            (Role::Writer, "gateway", "UserCtx"),
            (Role::Reader, "billing", "UserCtx")
        ]
    );
    // A signed writer and an unsigned reader: the reader ignores the signature.
    let report = pair(&v::signed::UserCtx::SCHEMA, &v::base::UserCtx::SCHEMA);
    assert!(report.is_compatible(), "{report}");
    let report = pair(&v::signed::UserCtx::SCHEMA, &v::signed::UserCtx::SCHEMA);
    assert!(report.is_compatible(), "{report}");
}

#[test]
fn signatures_that_cannot_verify() {
    // Another schema name: the MAC binds it.
    let report = pair(
        &v::signed_renamed::Caller::SCHEMA,
        &v::signed::UserCtx::SCHEMA,
    );
    let p = only(&report);
    assert_eq!(
        (p.kind, p.key.as_str()),
        (Kind::SignedDifferently, "app.sig")
    );
    assert_eq!(
        p.message,
        "the writer signs as schema `Caller`, the reader verifies as `UserCtx`: the signature binds the schema name"
    );
    // Bound to the trace on one side only.
    let report = pair(
        &v::signed::UserCtx::SCHEMA,
        &v::signed_bound::UserCtx::SCHEMA,
    );
    assert_eq!(
        only(&report).message,
        "the writer does not bind the signature to the trace, the reader requires it"
    );
    // The writer signs a key the reader does not declare.
    let report = pair(
        &v::signed_more::UserCtx::SCHEMA,
        &v::signed::UserCtx::SCHEMA,
    );
    assert_eq!(
        only(&report).message,
        "the writer signs `app.plan` that the reader does not declare: every signature is a mismatch"
    );
    // The reader verifies a key another schema writes: the writer's
    // signature does not cover it.
    let report = check(&[
        writer("gateway", &[&v::signed::UserCtx::SCHEMA]),
        writer("plans", &[&v::plan::Plan::SCHEMA]),
        reader("billing", &[&v::signed_more::UserCtx::SCHEMA]),
    ]);
    let p = only(&report);
    assert_eq!(
        (p.kind, p.key.as_str()),
        (Kind::SignedDifferently, "app.sig")
    );
    assert_eq!(
        p.message,
        "the reader verifies `app.plan` under the signature of `UserCtx`, but `Plan` of plans writes it"
    );
}

#[test]
fn two_schemas_whose_keys_collide() {
    let report = check(&[
        writer("gateway", &[&v::base::UserCtx::SCHEMA]),
        writer("accounts", &[&v::other_team::Account::SCHEMA]),
    ]);
    let p = only(&report);
    assert_eq!((p.kind, p.key.as_str()), (Kind::Collision, "app.user_id"));
    assert_eq!(
        sides(p),
        [
            (Role::Writer, "gateway", "UserCtx"),
            (Role::Writer, "accounts", "Account")
        ]
    );
    // One service reading a key as two formats.
    let report = check(&[Document::new(
        "billing",
        &[],
        &[&v::base::UserCtx::SCHEMA, &v::other_team::Account::SCHEMA],
    )]);
    let collisions: Vec<_> = report.of_kind(Kind::Collision).collect();
    assert_eq!(collisions.len(), 1, "{report}");
    assert_eq!(
        collisions[0].message,
        "the service reads it as u64 in `UserCtx` and as text in `Account`"
    );
}

#[test]
fn flattened_keys_are_compared_as_they_are_on_the_wire() {
    // `Request` flattens `User` under `payer.`: its key is `payer.id`, a u64;
    // a reader of `payer.id` as a u16 is behind.
    let report = pair(&v::flat::Request::SCHEMA, &v::flat::Payer::SCHEMA);
    let p = only(&report);
    assert_eq!((p.kind, p.key.as_str()), (Kind::FormatMismatch, "payer.id"));
    let written = p.sides[0].entry.as_ref().unwrap();
    assert_eq!(
        (written.declared_in.as_str(), written.field.as_str()),
        ("User", "id")
    );
}

#[test]
fn reports_name_both_sides_in_text_and_json() {
    let report = check_reader(
        &[writer("gateway", &[&v::base::UserCtx::SCHEMA])],
        &reader("billing", &[&v::u32_id::UserCtx::SCHEMA]),
    );
    assert_eq!(
        report.to_string(),
        "1 incompatibilities (3 keys read across 2 services: gateway, billing)\n\n\
         format_mismatch `app.user_id`: u64 written, u32 read: values from 0 to 18446744073709551615 do not all fit\n    \
         writer gateway: UserCtx.user_id: u64 (u64)\n    \
         reader billing: UserCtx.user_id: u32 (u32)\n"
    );
    let json: serde_json::Value = serde_json::from_str(&report.to_json()).unwrap();
    assert_eq!(json["problems"][0]["kind"], "format_mismatch");
    assert_eq!(json["problems"][0]["key"], "app.user_id");
    assert_eq!(json["problems"][0]["sides"][0]["role"], "writer");
    assert_eq!(
        json["problems"][0]["sides"][0]["entry"]["format"]["kind"],
        "integer"
    );
    assert_eq!(json["problems"][0]["sides"][1]["entry"]["rust_type"], "u32");
}

#[test]
fn hostile_text_in_a_document_is_escaped_in_the_report() {
    let mut w = writer("gateway", &[&v::three_tiers::UserCtx::SCHEMA]);
    let r = reader("billing", &[&v::base::UserCtx::SCHEMA]);
    // A hand-edited writer document with a variant holding a control character.
    let tier = w.writes[0]
        .entries
        .iter_mut()
        .find(|e| e.key == "app.tier")
        .unwrap();
    tier.format = typed_baggage::schema::document::FormatDoc::Enum {
        variants: vec!["free".into(), "\u{1b}[31mred\n".into()],
    };
    let report = check(&[w, r]);
    let text = report.to_string();
    assert!(!text.contains('\u{1b}'), "{text:?}");
    assert!(text.contains(r"`\u{1b}[31mred\n`"), "{text}");
}

mod local {
    //! A local schema (`#[baggage(local)]`): the service keeps its keys.
    use typed_baggage::prelude::*;

    #[derive(Baggage)]
    #[baggage(prefix = "route.", local)]
    pub struct RouteCtx {
        pub name: String,
        pub shard: u32,
    }

    /// Another service expecting the same keys on the wire.
    #[derive(Baggage)]
    #[baggage(prefix = "route.")]
    pub struct RouteCtxWire {
        pub name: String,
        pub shard: Option<u32>,
    }
}

#[test]
fn a_key_another_service_keeps_local_is_not_written_and_the_problem_says_who_keeps_it() {
    let gateway = writer("gateway", &[&local::RouteCtx::SCHEMA]);
    let billing = reader("billing", &[&local::RouteCtxWire::SCHEMA]);
    let report = check(&[gateway, billing]);
    let p = only(&report);
    assert_eq!(p.kind, Kind::NotWritten);
    assert_eq!(p.key, "route.name");
    assert_eq!(
        p.message,
        "the reader requires it and no writer sends it: `RouteCtx` of gateway writes it only in its own context (`#[baggage(local)]`)"
    );
    assert_eq!(
        sides(p),
        [
            (Role::Reader, "billing", "RouteCtxWire"),
            (Role::Writer, "gateway", "RouteCtx")
        ]
    );
}

#[test]
fn local_reads_are_the_services_own_and_local_writes_collide_with_nothing() {
    // A service that writes and reads its local schema, beside one that
    // writes the same keys on the wire: no problem at all.
    let own = Document::new(
        "checkout",
        &[&local::RouteCtx::SCHEMA],
        &[&local::RouteCtx::SCHEMA],
    );
    let other = writer("router", &[&local::RouteCtxWire::SCHEMA]);
    let report = check(&[own.clone(), other]);
    assert!(report.problems.is_empty(), "{report}");
    // The local read is not counted as a checked key.
    assert_eq!(report.keys_checked, 0);
    assert!(own.reads[0].local && own.writes[0].local);

    // A version 1 document (no `local`) reads as propagated schemas.
    let mut json: serde_json::Value = serde_json::to_value(&own).unwrap();
    json["version"] = 1.into();
    for schema in json["writes"].as_array_mut().unwrap() {
        schema.as_object_mut().unwrap().remove("local");
    }
    let v1: Document = serde_json::from_value(json).unwrap();
    v1.check_version().unwrap();
    assert!(!v1.writes[0].local);
}
