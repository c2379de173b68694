//! The generated code names everything by absolute path: it compiles in a
//! module that shadows the prelude, with strict lints on.
#![deny(unused_qualifications, missing_docs, unused_results)]

/// A module that shadows every prelude name the generated code could use.
#[allow(dead_code, non_camel_case_types, missing_docs)]
mod shadowed {
    pub struct Result;
    pub struct Option;
    pub struct Some;
    pub struct None;
    pub struct Ok;
    pub struct Err;
    pub struct String;
    pub struct Vec;
    pub struct Default;
    pub struct Box;
    pub struct Iterator;
    pub struct Into;
    pub struct From;
    pub struct str;
    pub mod core {}
    pub mod std {}
    pub mod typed_baggage {}

    use ::typed_baggage::Baggage;

    /// Derived where nothing from the prelude is what it seems.
    #[derive(Baggage, Debug, PartialEq)]
    #[baggage(prefix = "h.")]
    pub struct Ctx {
        /// An id.
        pub id: u64,
        /// Maybe a name.
        pub name: ::core::option::Option<::std::string::String>,
        /// Tags.
        pub tags: ::std::vec::Vec<::std::string::String>,
        /// A level.
        pub level: Level,
        /// Defaulted.
        #[baggage(default)]
        pub retries: u8,
        /// Skipped.
        #[baggage(skip)]
        pub local: u8,
    }

    /// A level.
    #[derive(Baggage, Debug, PartialEq, Clone, Copy)]
    pub enum Level {
        /// Low.
        Low,
        /// High.
        High,
    }
}

#[test]
fn derive_compiles_and_works_in_a_shadowed_module() {
    use opentelemetry::Context;
    use typed_baggage::prelude::*;
    let v = shadowed::Ctx {
        id: 1,
        name: Some("n".into()),
        tags: vec!["a".into()],
        level: shadowed::Level::High,
        retries: 3,
        local: 0,
    };
    let cx = Context::new().with_typed(&v).unwrap();
    assert_eq!(cx.typed::<shadowed::Ctx>().unwrap(), v);
}

/// Generic schemas: bounds only where fields need them.
#[derive(typed_baggage::Baggage, Debug, PartialEq)]
struct Generic<T, U = u8> {
    id: T,
    tags: Vec<T>,
    #[baggage(skip)]
    marker: std::marker::PhantomData<U>,
}

#[test]
fn generic_schema_works_with_several_types() {
    use opentelemetry::Context;
    use typed_baggage::prelude::*;
    let a: Generic<u32> = Generic {
        id: 7,
        tags: vec![1, 2],
        marker: std::marker::PhantomData,
    };
    assert_eq!(
        Context::new()
            .with_typed(&a)
            .unwrap()
            .typed::<Generic<u32>>()
            .unwrap(),
        a
    );
    let b: Generic<String, ()> = Generic {
        id: "x".into(),
        tags: vec!["y,z".into()],
        marker: std::marker::PhantomData,
    };
    assert_eq!(
        Context::new()
            .with_typed(&b)
            .unwrap()
            .typed::<Generic<String, ()>>()
            .unwrap(),
        b
    );
}
