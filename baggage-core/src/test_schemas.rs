//! Schemas written by hand, for unit tests of the paths that take a
//! `Baggage` type (`with_typed`, `without_typed`, signing, the read
//! pipeline's typed read): the derive's output names the published crate,
//! a different copy of the trait, so this crate's own unit tests cannot
//! derive. Each impl is what `#[derive(Baggage)]` writes for the struct in
//! its doc comment, through the same runtime helpers.

use crate::decode::{decode_field, Lookup};
use crate::encode::Writer;
use crate::keys::{KeySource, Remap};
use crate::schema::{plain_field, FieldSchema, Schema, Signature};
use crate::{Baggage, Error};

const fn id_field(key: &'static str) -> FieldSchema {
    plain_field::<u64>(key, "id", "u64", "", false, false)
}

const fn tag_field(key: &'static str) -> FieldSchema {
    plain_field::<Option<String>>(key, "tag", "Option<String>", "", false, false)
}

macro_rules! hand_schema {
    ($(#[$doc:meta])* $name:ident, $prefix:literal, $signature:expr, $max_bytes:expr $(, $local:literal)?) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq)]
        pub(crate) struct $name {
            pub(crate) id: u64,
            pub(crate) tag: Option<String>,
        }

        impl Baggage for $name {
            const SCHEMA: Schema = Schema {
                name: stringify!($name),
                crate_name: "baggage-core",
                doc: "",
                prefix: $prefix,
                max_bytes: $max_bytes,
                fields: &[
                    id_field(concat!($prefix, "id")),
                    tag_field(concat!($prefix, "tag")),
                ],
                flattened: &[],
                signature: $signature,
                local: false $(|| $local)?,
            };

            fn __decode<L: Lookup + ?Sized, K: KeySource>(source: &L, keys: K) -> Result<Self, Error> {
                let id = decode_field(source, &keys.key(concat!($prefix, "id"), $prefix.len()), None)?;
                let tag = decode_field(source, &keys.key(concat!($prefix, "tag"), $prefix.len()), None)?;
                Ok(Self { id, tag })
            }

            fn __write<W: Writer>(&self, writer: &mut W, remap: Remap) {
                writer.plain(remap.key(concat!($prefix, "id"), $prefix.len()), &self.id, false);
                writer.plain(remap.key(concat!($prefix, "tag"), $prefix.len()), &self.tag, false);
            }
        }
    };
}

hand_schema!(
    /// `#[baggage(prefix = "p.")] struct Plain { id: u64, tag: Option<String> }`
    Plain, "p.", None, None
);

hand_schema!(
    /// `#[baggage(prefix = "b.", max_bytes = 24)] struct Budget { id: u64, tag: Option<String> }`
    Budget, "b.", None, Some(24)
);

hand_schema!(
    /// `#[baggage(prefix = "s.", signed)] struct Signed { id: u64, tag: Option<String> }`
    Signed, "s.", Some(Signature { key: "s.sig", max_age_secs: None, bind_trace: false }), None
);

hand_schema!(
    /// `#[baggage(prefix = "t.", signed, bind_trace)] struct Traced { id: u64, tag: Option<String> }`
    Traced, "t.", Some(Signature { key: "t.sig", max_age_secs: None, bind_trace: true }), None
);

hand_schema!(
    /// `#[baggage(prefix = "l.", local)] struct Local { id: u64, tag: Option<String> }`
    Local, "l.", None, None, true
);
