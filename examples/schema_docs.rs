//! Writes down which baggage keys the example services read: every key of
//! every schema, with its Rust type, wire format, presence, cardinality,
//! whether it is a metric label, and its doc comment; as one Markdown table
//! (for a README or a wiki) and as JSON (for tools).
//!
//! Run with `cargo run --example schema_docs --features serde`.

#[path = "shared/schemas.rs"]
mod schemas;

use schemas::{Compliance, Flags, UserCtx};
use typed_baggage::schema::markdown_table;
use typed_baggage::Baggage;

fn main() -> Result<(), serde_json::Error> {
    let all = [UserCtx::SCHEMA, Flags::SCHEMA, Compliance::SCHEMA];

    println!("# Baggage keys\n");
    for schema in &all {
        let budget = schema
            .max_bytes
            .map(|n| format!(", at most {n} encoded bytes"))
            .unwrap_or_default();
        println!(
            "- `{}` ({} keys{budget}): {}",
            schema.name,
            schema.fields.len(),
            schema.doc
        );
    }
    println!();
    print!("{}", markdown_table(&all));

    println!("\n# As JSON\n");
    println!("{}", serde_json::to_string_pretty(&all)?);
    Ok(())
}
