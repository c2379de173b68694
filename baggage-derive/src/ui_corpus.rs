//! The derive's own compile errors, checked at unit-test speed against the
//! trybuild corpus (`tests/ui/*.rs` and their `.stderr`, in the root
//! crate): every `#[derive(Baggage)]` item of a case is expanded here, and
//!
//! - every error the derive reports (its `compile_error!`s) must be one the
//!   case's `.stderr` expects, and
//! - every error line the `.stderr` expects without an error code
//!   (`error: ...`, which only the derive writes; the compiler's own errors
//!   have codes, such as `error[E0080]` for a failed compile-time check)
//!   must be one the derive reports, unless the case's item is not a
//!   struct or enum the derive sees (a few cases feed it a union or misuse
//!   the attribute outside a derive).
//!
//! The must-compile corpus (`tests/ui-pass`) must expand without an error.
//! trybuild checks the whole compiler output, spans included, in the root
//! crate's `tests/ui.rs`; this test makes the derive's checks cheap to run
//! for each mutant of mutation testing.

use std::path::{Path, PathBuf};

use proc_macro2::{TokenStream, TokenTree};
use syn::{DeriveInput, Item};

/// The derive's error messages in an expansion: the text of every
/// `compile_error!("...")`.
fn compile_errors(tokens: TokenStream) -> Vec<String> {
    let mut out = Vec::new();
    let trees: Vec<TokenTree> = tokens.into_iter().collect();
    for (i, tree) in trees.iter().enumerate() {
        match tree {
            TokenTree::Ident(id) if id == "compile_error" => {
                if let Some(TokenTree::Group(g)) = trees.get(i + 2) {
                    let lit: syn::LitStr = syn::parse2(g.stream()).expect("a message");
                    out.push(lit.value());
                }
            }
            TokenTree::Group(g) => out.extend(compile_errors(g.stream())),
            _ => {}
        }
    }
    out
}

/// Every `#[derive(Baggage)]` struct and enum of a file, modules included.
fn derived_items(items: &[Item], out: &mut Vec<DeriveInput>) {
    for item in items {
        let (attrs, input) = match item {
            Item::Struct(s) => (&s.attrs, DeriveInput::from(s.clone())),
            Item::Enum(e) => (&e.attrs, DeriveInput::from(e.clone())),
            Item::Union(u) => (&u.attrs, DeriveInput::from(u.clone())),
            Item::Mod(m) => {
                if let Some((_, items)) = &m.content {
                    derived_items(items, out);
                }
                continue;
            }
            _ => continue,
        };
        let derives_baggage = attrs.iter().any(|a| {
            a.path().is_ident("derive")
                && a.parse_args_with(
                    syn::punctuated::Punctuated::<syn::Path, syn::Token![,]>::parse_terminated,
                )
                .is_ok_and(|paths| paths.iter().any(|p| p.is_ident("Baggage")))
        });
        if derives_baggage {
            out.push(input);
        }
    }
}

fn corpus(dir: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(dir);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("a directory entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "rs"))
        .collect();
    files.sort();
    files
}

/// The messages the derive reports for a file.
fn expand_file(path: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(path).expect("a ui case");
    let file = syn::parse_file(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut inputs = Vec::new();
    derived_items(&file.items, &mut inputs);
    inputs
        .iter()
        .flat_map(|input| compile_errors(crate::expand::derive(input)))
        .collect()
}

/// Each `error: ` line of a `.stderr` (no error code): the first line of
/// each message.
fn expected_errors(stderr: &str) -> Vec<String> {
    stderr
        .lines()
        .filter_map(|l| l.strip_prefix("error: "))
        .filter(|l| !l.starts_with("could not compile") && !l.starts_with("aborting"))
        .map(str::to_owned)
        .collect()
}

/// Cases whose errors are not the derive's (none yet).
const NOT_THE_DERIVE: &[&str] = &[];

#[test]
fn the_derive_reports_what_the_ui_corpus_expects() {
    let cases = corpus("tests/ui");
    assert!(cases.len() >= 70, "the ui corpus: {} cases", cases.len());
    let mut checked = 0;
    for case in &cases {
        let stderr = std::fs::read_to_string(case.with_extension("stderr"))
            .unwrap_or_else(|e| panic!("{}: {e}", case.display()));
        let expected = expected_errors(&stderr);
        if NOT_THE_DERIVE.iter().any(|n| case.ends_with(n)) {
            continue;
        }
        let reported = expand_file(case);
        for message in &reported {
            let first = message.lines().next().unwrap_or_default();
            assert!(
                stderr.contains(first),
                "{}: the derive reports an error the case does not expect: {message}",
                case.display()
            );
        }
        for line in &expected {
            let found = reported
                .iter()
                .any(|m| m.lines().next().unwrap_or_default() == line);
            assert!(
                found,
                "{}: the case expects `{line}`, the derive reports {reported:#?}",
                case.display()
            );
        }
        checked += usize::from(!reported.is_empty());
    }
    // Most cases are the derive's own errors, not the compiler's.
    assert!(
        checked >= 50,
        "{checked} of {} cases had derive errors",
        cases.len()
    );
}

#[test]
fn the_must_compile_corpus_expands_without_an_error() {
    let cases = corpus("tests/ui-pass");
    assert!(!cases.is_empty());
    for case in &cases {
        assert_eq!(
            expand_file(case),
            Vec::<String>::new(),
            "{}",
            case.display()
        );
    }
}

fn errors(input: DeriveInput) -> Vec<String> {
    compile_errors(crate::expand::derive(&input))
}

/// Edges the ui corpus does not hold.
#[test]
fn edges_of_the_checks() {
    // `max_bytes` at the W3C limit is allowed; one more is not.
    assert_eq!(
        errors(syn::parse_quote! { #[baggage(max_bytes = 8192)] struct A { x: u8 } }),
        Vec::<String>::new()
    );
    let e = errors(syn::parse_quote! { #[baggage(max_bytes = 8193)] struct A { x: u8 } });
    assert_eq!(e.len(), 1, "{e:?}");
    assert!(
        e[0].starts_with("`max_bytes = 8193` is out of range"),
        "{e:?}"
    );
    // A control character in a prefix is named as one, escaped.
    let e = errors(syn::parse_quote! { #[baggage(prefix = "app\x07.")] struct A { x: u8 } });
    assert_eq!(e.len(), 1, "{e:?}");
    assert!(
        e[0].starts_with(r#"the prefix "app\u{7}." has the control character '\u{7}', which"#),
        "{e:?}"
    );
    // An empty reason on a field that is not a secret: one error, about the reason.
    let e = errors(syn::parse_quote! { struct A { #[baggage(allow_secret = "")] region: String } });
    assert_eq!(e.len(), 1, "{e:?}");
    assert!(
        e[0].starts_with("the reason of `allow_secret` is empty"),
        "{e:?}"
    );
}
