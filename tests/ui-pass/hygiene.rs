//! The generated code names everything by absolute path, so a module that
//! shadows the prelude still derives, and the crate-level lints below do not
//! fire on generated code.
#![deny(unused_qualifications)]
#![deny(missing_docs)]
#![deny(unused_lifetimes, single_use_lifetimes, unused_results)]
#![no_implicit_prelude]

/// A module that shadows the prelude's names.
pub mod shadow {
    #![allow(dead_code)]

    /// Shadows `core::result::Result`.
    pub type Result<T> = ::core::result::Result<T, ()>;
    /// Shadows `core::option::Option` and its variants.
    pub enum Option {
        /// Shadows `Some`.
        Some,
        /// Shadows `None`.
        None,
    }
    pub use self::Option::{None, Some};
    /// Shadows `core::result::Result::Ok`.
    pub struct Ok;
    /// Shadows `core::result::Result::Err`.
    pub struct Err;
    /// Shadows `std::string::String`.
    pub struct String;
    /// Shadows `std::vec::Vec`.
    pub struct Vec;
    /// Shadows `core::default::Default`.
    pub trait Default {}
    /// Shadows `std::boxed::Box`.
    pub struct Box;
    /// Shadows the primitive `str`.
    #[allow(non_camel_case_types)]
    pub struct str;
    /// Shadows the primitive `bool`.
    #[allow(non_camel_case_types)]
    pub struct bool;
    /// Shadows the crate `core`.
    pub mod core {}
    /// Shadows the crate `std`.
    pub mod std {}
    /// Shadows the crate `typed_baggage`.
    pub mod typed_baggage {}

    /// A schema declared where the prelude's names mean something else.
    #[derive(::typed_baggage::Baggage, Debug, PartialEq)]
    #[baggage(prefix = "app.", rename_all = "camelCase")]
    pub struct UserCtx {
        /// The user.
        pub user_id: u64,
        /// The tier.
        #[baggage(metric_label)]
        pub tier: Tier,
        /// Features turned on.
        pub features: ::std::vec::Vec<::std::string::String>,
        /// Where the user is.
        pub region: ::core::option::Option<::std::string::String>,
        /// Retries so far.
        #[baggage(default)]
        pub retries: u8,
        /// Not carried.
        #[baggage(skip)]
        pub local: u32,
        /// Read with `FromStr`.
        #[baggage(from_str, metric_label, allow_high_cardinality = "a few proxies")]
        pub client_ip: ::core::option::Option<::std::net::IpAddr>,
    }

    /// A value enum declared in the same module.
    #[derive(::typed_baggage::Baggage, Debug, Clone, Copy, PartialEq)]
    #[baggage(rename_all = "snake_case")]
    pub enum Tier {
        /// Free.
        Free,
        /// Paid.
        EnterpriseGold,
    }
}

fn main() {
    use ::typed_baggage::BaggageContextExt;
    let user = shadow::UserCtx {
        user_id: 7,
        tier: shadow::Tier::EnterpriseGold,
        features: ::std::vec![::std::string::ToString::to_string("a,b")],
        region: ::core::option::Option::Some(::std::string::ToString::to_string("eu")),
        retries: 2,
        local: 0,
        client_ip: ::core::option::Option::Some("10.0.0.1".parse().unwrap()),
    };
    let cx = ::opentelemetry::Context::new().with_typed(&user).unwrap();
    let back = cx.typed::<shadow::UserCtx>().unwrap();
    ::std::assert_eq!(back, user);
    let labels: ::std::vec::Vec<::opentelemetry::KeyValue> =
        ::std::iter::Iterator::collect(::typed_baggage::Baggage::metric_attributes(&user));
    ::std::assert_eq!(
        labels,
        [
            ::opentelemetry::KeyValue::new("app.tier", "enterprise_gold"),
            ::opentelemetry::KeyValue::new("app.clientIp", "10.0.0.1"),
        ]
    );
}
