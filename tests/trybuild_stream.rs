//! trybuild for `stream!` plumbing: wrong programs must fail to compile with
//! the checker's diagnostics at the user's tokens; a right one must run.
//! The expected compiler output is tied to the pinned toolchain (rust-toolchain.toml).

#[test]
fn stream_macro_compile_errors_point_at_user_tokens() {
    let cases = trybuild::TestCases::new();
    cases.pass("trybuild/pass/*.rs");
    cases.compile_fail("trybuild/fail/*.rs");
}
