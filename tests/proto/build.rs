//! Generates the `Hop` service from `echo.proto` with `tonic-prost-build`,
//! with the `protoc` the `PROTOC` variable names, or else the one the
//! `protoc-bin-vendored` crate ships (so a fresh machine needs no install).

use std::path::PathBuf;
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-env-changed=PROTOC");
    let protoc = match std::env::var_os("PROTOC") {
        Some(path) => PathBuf::from(path),
        None => match protoc_bin_vendored::protoc_bin_path() {
            Ok(path) => path,
            Err(e) => {
                eprintln!(
                    "error: no protoc for this platform in protoc-bin-vendored ({e}); install \
                     protoc (Debian: `apt-get install protobuf-compiler`) and set PROTOC to it"
                );
                std::process::exit(1);
            }
        },
    };
    if Command::new(&protoc).arg("--version").output().is_err() {
        eprintln!(
            "error: the gRPC tests of typed-baggage need `protoc`, the Protocol Buffers \
             compiler, to build tests/proto/echo.proto, and `{}` could not be run.\n\
             Install it (Debian, Ubuntu: `apt-get install protobuf-compiler`; macOS: \
             `brew install protobuf`) or set PROTOC to its path.",
            protoc.display()
        );
        std::process::exit(1);
    }
    // prost-build runs the protoc that PROTOC names (a build script runs on
    // one thread: nothing else reads the environment meanwhile).
    std::env::set_var("PROTOC", &protoc);
    if let Err(e) = tonic_prost_build::configure()
        // The tests connect with `tonic::transport::Channel` themselves.
        .build_transport(false)
        .compile_protos(&["echo.proto"], &["."])
    {
        eprintln!("error: could not generate the gRPC test service from echo.proto: {e}");
        std::process::exit(1);
    }
}
