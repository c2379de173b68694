//! The evolution rules as a table of changes: for each, the deploy order
//! the check derives, with real schemas before and after.

use baggage_contract::evolution::{classify, classify_documents, Deploy};
use baggage_contract::Kind;
use typed_baggage::schema::document::{Document, SchemaDoc};
use typed_baggage::{Baggage, Schema};

macro_rules! version {
    ($name:ident { $($body:tt)* } $(, $attr:meta)?) => {
        mod $name {
            #![allow(dead_code)]
            use typed_baggage::prelude::*;
            #[derive(Baggage, Clone, Copy)]
            #[baggage(rename_all = "snake_case")]
            pub enum Tier2 { Free, Premium }
            #[derive(Baggage, Clone, Copy)]
            #[baggage(rename_all = "snake_case")]
            pub enum Tier3 { Free, Premium, Enterprise }
            #[derive(Baggage)]
            #[baggage(prefix = "app.")]
            $(#[$attr])?
            pub struct Ctx { $($body)* }
        }
    };
}

version!(base { pub user_id: u32, pub tier: Tier2, pub region: Option<String> });
version!(add_optional { pub user_id: u32, pub tier: Tier2, pub region: Option<String>, pub beta: Option<bool> });
version!(add_required { pub user_id: u32, pub tier: Tier2, pub region: Option<String>, pub beta: bool });
version!(add_variant { pub user_id: u32, pub tier: Tier3, pub region: Option<String> });
version!(remove_optional { pub user_id: u32, pub tier: Tier2 });
version!(remove_required { pub tier: Tier2, pub region: Option<String> });
version!(rename_key { #[baggage(rename = "uid")] pub user_id: u32, pub tier: Tier2, pub region: Option<String> });
version!(widen { pub user_id: u64, pub tier: Tier2, pub region: Option<String> });
version!(narrow { pub user_id: u16, pub tier: Tier2, pub region: Option<String> });
version!(bounded { pub user_id: u32, pub tier: Tier2, #[baggage(max_len = 16)] pub region: Option<String> });
version!(signed_base { pub user_id: u32, pub tier: Tier2, pub region: Option<String> }, baggage(signed));
version!(signed_more { pub user_id: u32, pub tier: Tier2, pub region: Option<String>, pub plan: Option<String> }, baggage(signed));
version!(default_field { pub user_id: u32, pub tier: Tier2, pub region: Option<String>, #[baggage(default)] pub retries: u8 });

fn doc(s: &Schema) -> SchemaDoc {
    SchemaDoc::of(s)
}

#[test]
fn each_change_deploys_in_the_order_the_table_says() {
    let table: [(&str, &Schema, &Schema, Deploy); 13] = [
        (
            "no change",
            &base::Ctx::SCHEMA,
            &base::Ctx::SCHEMA,
            Deploy::Either,
        ),
        (
            "add an optional field",
            &base::Ctx::SCHEMA,
            &add_optional::Ctx::SCHEMA,
            Deploy::Either,
        ),
        (
            "add a required field",
            &base::Ctx::SCHEMA,
            &add_required::Ctx::SCHEMA,
            Deploy::WritersFirst,
        ),
        (
            "add a defaulted field",
            &base::Ctx::SCHEMA,
            &default_field::Ctx::SCHEMA,
            Deploy::Either,
        ),
        (
            "add an enum variant",
            &base::Ctx::SCHEMA,
            &add_variant::Ctx::SCHEMA,
            Deploy::ReadersFirst,
        ),
        (
            "remove an optional field",
            &base::Ctx::SCHEMA,
            &remove_optional::Ctx::SCHEMA,
            Deploy::Either,
        ),
        (
            "remove a required field",
            &base::Ctx::SCHEMA,
            &remove_required::Ctx::SCHEMA,
            Deploy::ReadersFirst,
        ),
        (
            "rename a required key",
            &base::Ctx::SCHEMA,
            &rename_key::Ctx::SCHEMA,
            Deploy::Never,
        ),
        (
            "widen an integer",
            &base::Ctx::SCHEMA,
            &widen::Ctx::SCHEMA,
            Deploy::ReadersFirst,
        ),
        (
            "narrow an integer",
            &base::Ctx::SCHEMA,
            &narrow::Ctx::SCHEMA,
            Deploy::WritersFirst,
        ),
        (
            "add max_len",
            &base::Ctx::SCHEMA,
            &bounded::Ctx::SCHEMA,
            Deploy::WritersFirst,
        ),
        (
            "start signing",
            &base::Ctx::SCHEMA,
            &signed_base::Ctx::SCHEMA,
            Deploy::WritersFirst,
        ),
        (
            "add a field to a signed schema",
            &signed_base::Ctx::SCHEMA,
            &signed_more::Ctx::SCHEMA,
            Deploy::ReadersFirst,
        ),
    ];
    for (change, old, new, expected) in table {
        let e = classify(&doc(old), &doc(new));
        assert_eq!(
            e.deploy, expected,
            "{change}:\nold readers, new writers: {}\nnew readers, old writers: {}",
            e.old_reads_new, e.new_reads_old
        );
    }
}

#[test]
fn each_order_comes_with_the_problems_it_avoids() {
    // Adding a variant: old readers do not know it.
    let e = classify(&doc(&base::Ctx::SCHEMA), &doc(&add_variant::Ctx::SCHEMA));
    let p: Vec<_> = e
        .old_reads_new
        .problems
        .iter()
        .map(|p| (p.kind, p.key.as_str()))
        .collect();
    assert_eq!(p, [(Kind::UnknownVariants, "app.tier")]);
    assert!(e.new_reads_old.is_compatible());
    // Renaming: each side misses the other's key.
    let e = classify(&doc(&base::Ctx::SCHEMA), &doc(&rename_key::Ctx::SCHEMA));
    let old: Vec<_> = e
        .old_reads_new
        .problems
        .iter()
        .map(|p| (p.kind, p.key.as_str()))
        .collect();
    let new: Vec<_> = e
        .new_reads_old
        .problems
        .iter()
        .map(|p| (p.kind, p.key.as_str()))
        .collect();
    assert_eq!(old, [(Kind::NotWritten, "app.user_id")]);
    assert_eq!(new, [(Kind::NotWritten, "app.uid")]);
}

#[test]
fn documents_list_only_the_changes_with_an_order() {
    let old = Document::new("gateway", &[&base::Ctx::SCHEMA], &[]);
    let new = Document::new("gateway", &[&add_variant::Ctx::SCHEMA], &[]);
    let changes = classify_documents(&old, &new);
    assert_eq!(changes.len(), 1);
    assert_eq!(
        (changes[0].0.as_str(), changes[0].1.deploy),
        ("Ctx", Deploy::ReadersFirst)
    );
    let same = classify_documents(
        &old,
        &Document::new("gateway", &[&add_optional::Ctx::SCHEMA], &[]),
    );
    assert!(same.is_empty());
}
