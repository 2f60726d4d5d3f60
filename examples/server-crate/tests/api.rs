//! The library API in an ordinary `#[tokio::test]`: run a subset of the
//! suite in strict mode and assert on the typed result.

use opconform::{Suite, TargetSpec};

#[tokio::test(flavor = "multi_thread")]
async fn cancel_cases_pass_in_strict_mode() -> Result<(), opconform::SuiteError> {
    let result = Suite::bundled()?
        .filter("cancel")
        .strict(true)
        .target(
            TargetSpec::router(server_crate::app())
                .token(server_crate::TEST_TOKEN)
                .foreign_token(server_crate::OTHER_TOKEN)
                .fixtures("/__fixtures/operations"),
        )
        .run()
        .await?;
    assert!(result.passed(), "{}", Suite::explain(&result));
    assert!(result.cases.len() > 3, "the filter kept {} cases", result.cases.len());
    Ok(())
}
