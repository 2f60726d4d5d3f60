//! The conformance suite, one trial per case, against this crate's own
//! server: `cargo test --test conformance [-- FILTER | --list | --exact NAME]`.

use opconform::{Suite, TargetSpec};

fn main() -> std::process::ExitCode {
    opconform::harness_main(|| {
        Ok(Suite::bundled()?.target(
            TargetSpec::router(server_crate::app())
                .token(server_crate::TEST_TOKEN)
                .foreign_token(server_crate::OTHER_TOKEN)
                .fixtures("/__fixtures/operations"),
        ))
    })
}
