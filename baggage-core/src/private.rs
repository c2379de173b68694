//! Items the generated code uses, named here and defined in the modules
//! named for their job. Not public API: they change without notice, which
//! is why the derive and the runtime are pinned to each other.

pub use opentelemetry as otel;

pub use crate::bounds::{check_item_len, check_len, len_bound, ItemLenBounded, LenBounded};
pub use crate::checks::{
    assert_baggage, assert_default, assert_field, assert_from_str, assert_item_len_bounded,
    assert_len_bounded, assert_low_cardinality, budget_message, duplicate_error, duplicate_message,
    flattened_message, Message,
};
pub use crate::decode::{
    attribute_of, codec_attribute, collect_errors, decode_baggage, push_attributes, AttributeFn,
    Decoder, KeyedAttribute, Lookup,
};
pub use crate::encode::{encode_display, key_values, Entries, EntriesWriter, KvWriter, Writer};
pub use crate::keys::{DeclaredKeys, FieldKey, KeySource, Remap};
pub use crate::schema::plain_field;

/// `with_typed` through the list of entries and the merge whatever the
/// schema (the path of a signed schema's write, and of a write the direct
/// one leaves to it): for tests that compare the two paths through the
/// public API.
pub use crate::context::with_typed_general;
pub use crate::signature::require_signing_feature;
