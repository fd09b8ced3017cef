//! Shared by the tests that run the built `ocpizza-bridge` binary: the run itself and the Standard Webhooks
//! specification's official test vector (secret, message id, timestamp, body and its signature).
#![allow(dead_code)]

use std::io::Write;
use std::process::{Command, Output, Stdio};

pub const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
pub const ID: &str = "msg_p5jXN8AQM9LWM0D4loKWxJek";
pub const TS: &str = "1614265330";
pub const BODY: &[u8] = br#"{"test": 2432232314}"#;
pub const SIG: &str = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

/// Runs the binary with `args` and `stdin`, without the caller's database URL (these commands need none).
pub fn run(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_ocpizza-bridge"))
        .args(args)
        .env_remove("OCPIZZA_DATABASE_URL")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("binary runs");
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    child.wait_with_output().unwrap()
}
