//! Issue 14, CLI boundary: every command taking a code (`webhook sign|verify --id`) refuses non-ASCII, over-long,
//! empty and control-character values naming the option and the reason, by running the built binary.

mod cli_support;

use cli_support::{BODY, SECRET, SIG, TS};

fn run(args: &[&str]) -> std::process::Output {
    cli_support::run(args, BODY)
}

#[test]
fn webhook_sign_and_verify_refuse_bad_ids_naming_the_option() {
    let long = "m".repeat(256);
    for (what, id, needle) in [
        ("non-ASCII", "msg_é", "--id: contains a non-ASCII character"),
        ("over-long", long.as_str(), "--id: is 256 characters long, at most 255"),
        ("control character", "msg_\u{1}x", "--id: contains a control character"),
        ("dot", "msg.x", "--id: has a character not allowed here"),
        ("empty", "", "--id: is empty"),
    ] {
        let out = run(&["webhook", "sign", "--secret", SECRET, "--id", id, "--timestamp", TS]);
        assert!(!out.status.success(), "sign {what} passed");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.starts_with("error: ") && err.contains(needle), "sign {what}: {err}");
        assert!(out.stdout.is_empty(), "sign {what} printed a signature");

        let out = run(&["webhook", "verify", "--secret", SECRET, "--id", id, "--timestamp", TS, "--signature", SIG, "--now", TS]);
        assert!(!out.status.success(), "verify {what} passed");
        let err = String::from_utf8_lossy(&out.stderr);
        // An empty id is what a receiver calls a missing header (tests/cli.rs); the others say why.
        let needle = if id.is_empty() { "missing header webhook-id" } else { needle };
        assert!(err.starts_with("invalid: ") && err.contains(needle), "verify {what}: {err}");
    }
}
