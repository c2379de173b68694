//! `baggage-contract`: compare what services write in baggage with what
//! they read. See `baggage-contract --help`.

use std::process::ExitCode;

use baggage_contract::evolution::{classify_documents, Deploy};
use baggage_contract::{check, json_schema, load, Document};

const HELP: &str = "\
baggage-contract: check that what services write in baggage is what they read

USAGE:
    baggage-contract check [--format text|json] DOCUMENT...
        Each service's reads against what the other services write.
        With two documents, `check writer.json reader.json`.
    baggage-contract evolve [--format text|json] OLD NEW
        The safe deploy order of every schema changed from OLD to NEW
        (two versions of one service's document).
    baggage-contract json-schema DOCUMENT SCHEMA
        The JSON Schema over the baggage entries of SCHEMA (a schema the
        service writes or reads), for validators in other languages.

A DOCUMENT is a service's contract (typed_baggage::schema::document::Document
as JSON).

EXIT STATUS:
    0  compatible (or printed)
    1  incompatible: `check` found a problem, `evolve` a change no order deploys
    2  the command could not run (usage, unreadable or invalid document)
";

enum Output {
    Text,
    Json,
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(code) => code,
        Err(message) => {
            eprintln!("baggage-contract: {message}");
            eprintln!("(baggage-contract --help for usage)");
            ExitCode::from(2)
        }
    }
}

fn run(args: &[String]) -> Result<ExitCode, String> {
    let Some((command, rest)) = args.split_first() else {
        return Err("no command: check, evolve or json-schema".to_owned());
    };
    if matches!(command.as_str(), "-h" | "--help" | "help") {
        print!("{HELP}");
        return Ok(ExitCode::SUCCESS);
    }
    let (output, files) = options(rest)?;
    match command.as_str() {
        "check" => {
            if files.is_empty() {
                return Err("check: no documents".to_owned());
            }
            let documents = load_all(&files)?;
            let report = check(&documents);
            match output {
                Output::Text => print!("{report}"),
                Output::Json => println!("{}", report.to_json()),
            }
            Ok(if report.is_compatible() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
        "evolve" => {
            let [old, new] = files.as_slice() else {
                return Err(format!(
                    "evolve: two documents (OLD NEW), got {}",
                    files.len()
                ));
            };
            let (old, new) = (load_one(old)?, load_one(new)?);
            let changes = classify_documents(&old, &new);
            let never = changes.iter().any(|(_, e)| e.deploy == Deploy::Never);
            match output {
                Output::Text if changes.is_empty() => {
                    println!("every schema deploys in either order")
                }
                Output::Text => {
                    for (name, e) in &changes {
                        println!("{name}: {}", e.deploy);
                        if !e.old_reads_new.is_compatible() {
                            println!(
                                "  old readers, new writers: {}",
                                indent(&e.old_reads_new.to_string())
                            );
                        }
                        if !e.new_reads_old.is_compatible() {
                            println!(
                                "  new readers, old writers: {}",
                                indent(&e.new_reads_old.to_string())
                            );
                        }
                    }
                }
                Output::Json => {
                    let value: Vec<_> = changes
                        .iter()
                        .map(|(name, e)| serde_json::json!({ "schema": name, "evolution": e }))
                        .collect();
                    println!(
                        "{}",
                        serde_json::to_string_pretty(&value).map_err(|e| e.to_string())?
                    );
                }
            }
            Ok(if never {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            })
        }
        "json-schema" => {
            let [doc, name] = files.as_slice() else {
                return Err("json-schema: DOCUMENT SCHEMA".to_owned());
            };
            let doc = load_one(doc)?;
            let schema = doc
                .writes
                .iter()
                .chain(&doc.reads)
                .find(|s| s.name == *name)
                .ok_or_else(|| {
                    format!(
                        "json-schema: no schema {:?} in the document of {:?}",
                        name.escape_debug().to_string(),
                        doc.service
                    )
                })?;
            let value = json_schema::entries_schema(schema);
            println!(
                "{}",
                serde_json::to_string_pretty(&value).map_err(|e| e.to_string())?
            );
            Ok(ExitCode::SUCCESS)
        }
        other => Err(format!(
            "unknown command {:?}: check, evolve or json-schema",
            other.escape_debug().to_string()
        )),
    }
}

fn indent(text: &str) -> String {
    text.trim_end().replace('\n', "\n    ")
}

fn options(args: &[String]) -> Result<(Output, Vec<String>), String> {
    let mut output = Output::Text;
    let mut files = Vec::new();
    let mut iter = args.iter();
    while let Some(arg) = iter.next() {
        match arg.as_str() {
            "--format" => match iter.next().map(String::as_str) {
                Some("text") => output = Output::Text,
                Some("json") => output = Output::Json,
                other => return Err(format!("--format text or json, not {other:?}")),
            },
            "--format=text" => output = Output::Text,
            "--format=json" => output = Output::Json,
            flag if flag.starts_with("--") => return Err(format!("unknown option {flag:?}")),
            file => files.push(file.to_owned()),
        }
    }
    Ok((output, files))
}

fn load_one(path: &str) -> Result<Document, String> {
    load(path).map_err(|e| e.to_string())
}

fn load_all(paths: &[String]) -> Result<Vec<Document>, String> {
    paths.iter().map(|p| load_one(p)).collect()
}
