//! Commits made directly with git (no hooks), each adding one distinct
//! function, for the tests that build a history and then compare views.

use git2::Oid;

use super::repo::TestRepo;

/// A distinct four-line Rust function.
pub fn function(name: &str) -> String {
    format!("pub fn {name}(x: u64) -> u64 {{\n    let y = x.wrapping_mul({});\n    y ^ 0x5f\n}}\n", name.len() * 7919)
}

pub fn head(repo: &TestRepo) -> Oid {
    Oid::from_str(repo.git(&["rev-parse", "HEAD"]).trim()).unwrap()
}

/// Commit `path` holding one new function, as `author` (name, email), with
/// `message`.
pub fn commit_file(repo: &TestRepo, path: &str, name: &str, author: (&str, &str), message: &str) -> Oid {
    repo.write(path, &function(name));
    repo.git(&["add", "-A"]);
    let ident = format!("{} <{}>", author.0, author.1);
    repo.git(&[
        "-c",
        &format!("user.name={}", author.0),
        "commit",
        "-q",
        "--no-verify",
        "--author",
        &ident,
        "-m",
        message,
    ]);
    head(repo)
}
