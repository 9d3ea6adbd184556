//! Every install line in the docs, the READMEs, the editors' help and the CI
//! examples installs *this* program: the package `vouch-cli`, or the
//! repository itself (`cargo install --path .`). The crates.io package
//! `vouch` is an unrelated project (a package review system); a doc that
//! says `cargo install vouch` installs it, and a CI job built on it would
//! run someone else's program as its check (issue 16, item 1).

use std::path::{Path, PathBuf};

/// The name of our package on crates.io.
const PACKAGE: &str = "vouch-cli";

/// `cargo install` options that take a value (the value is not a crate).
const TAKES_VALUE: &[&str] = &[
    "--version",
    "--vers",
    "--git",
    "--branch",
    "--tag",
    "--rev",
    "--path",
    "--root",
    "--index",
    "--registry",
    "--bin",
    "--example",
    "--features",
    "-F",
    "--target",
    "--target-dir",
    "--profile",
    "--config",
    "-j",
    "--jobs",
    "-Z",
    "--color",
];

/// Why one `cargo install` command (the text after `cargo install`) does
/// not install vouch, if it does not.
fn wrong_install(args: &str) -> Option<String> {
    // The command ends where the shell or the prose ends it.
    let end = args.find(['`', ';', '|', '&', ')', '"', '\'', '#', ',']).unwrap_or(args.len());
    let mut words = args[..end].split_whitespace();
    let mut crates = Vec::new();
    let mut from_path = false;
    while let Some(word) = words.next() {
        let (flag, inline_value) = match word.split_once('=') {
            Some((flag, value)) if word.starts_with('-') => (flag, Some(value)),
            _ => (word, None),
        };
        if flag == "--path" {
            from_path = true;
        }
        if TAKES_VALUE.contains(&flag) {
            if inline_value.is_none() {
                words.next();
            }
            continue;
        }
        if word.starts_with('-') {
            continue;
        }
        // Prose after the command ("cargo install --path . in its
        // repository") ends it.
        if !word.chars().all(|c| c.is_ascii_alphanumeric() || "-_@.".contains(c)) || word == "in" {
            break;
        }
        crates.push(word.split('@').next().unwrap_or(word).to_string());
    }
    if from_path && crates.is_empty() {
        return None;
    }
    match crates.as_slice() {
        [] => Some("installs no package: name vouch-cli, or use --path .".into()),
        [only] if only == PACKAGE => None,
        other => Some(format!("installs {other:?}, not {PACKAGE} (the crates.io package `vouch` is another project)")),
    }
}

fn files(root: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(root) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if matches!(name.as_ref(), "node_modules" | "target" | ".git" | "out" | ".vscode-test") {
            continue;
        }
        if path.is_dir() {
            files(&path, out);
        } else if matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("md" | "yml" | "yaml" | "sh" | "lua" | "txt" | "toml" | "json" | "ts" | "py")
        ) {
            out.push(path);
        }
    }
}

/// Every `cargo install` line of `text`, with the reason it is wrong.
fn wrong_lines(text: &str) -> Vec<(usize, String, String)> {
    let mut found = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let mut rest = line;
        while let Some(at) = rest.find("cargo install") {
            let args = &rest[at + "cargo install".len()..];
            if let Some(why) = wrong_install(args) {
                found.push((i + 1, line.trim().to_string(), why));
            }
            rest = args;
        }
    }
    found
}

#[test]
fn the_checker_tells_our_package_from_the_other_vouch() {
    for ok in [
        " vouch-cli",
        " --locked vouch-cli --version 0.1.0",
        " --path . --locked",
        " --locked --path .",
        " --path=. ",
        " vouch-cli@0.1.0",
        " --path . in its repository",
        " --git https://example.org/vouch.git --tag v0.1.0 vouch-cli",
    ] {
        assert_eq!(wrong_install(ok), None, "{ok}");
    }
    for bad in [
        " vouch",
        " --locked vouch --version \"$VOUCH_VERSION\"",
        " vouch@0.1.0",
        " vouch-lsp",
        " --version 0.1.0 vouch",
        " ",
        " vouch vouch-cli",
    ] {
        assert!(wrong_install(bad).is_some(), "{bad}");
    }
    assert_eq!(wrong_lines("run: cargo install --locked vouch --version \"$V\"\n").len(), 1);
    assert!(wrong_lines("`cargo install vouch-cli` or `cargo install --path .`\n").is_empty());
}

#[test]
fn docs_and_examples_install_vouch_cli() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let manifest = std::fs::read_to_string(root.join("Cargo.toml")).unwrap();
    assert!(manifest.contains(&format!("name = \"{PACKAGE}\"")), "Cargo.toml's package is not {PACKAGE}");
    let mut paths = Vec::new();
    for top in ["README.md", "action.yml", ".gitlab-ci.yml"] {
        if root.join(top).exists() {
            paths.push(root.join(top));
        }
    }
    for dir in ["docs", "editors", "scripts", ".github", "examples"] {
        files(&root.join(dir), &mut paths);
    }
    assert!(paths.iter().any(|p| p.ends_with("docs/ci/github-actions.yml")), "the CI example is scanned");
    let mut wrong = Vec::new();
    let mut installs = 0;
    for path in &paths {
        let Ok(text) = std::fs::read_to_string(path) else { continue };
        installs += text.matches("cargo install").count();
        for (line, text, why) in wrong_lines(&text) {
            wrong.push(format!("{}:{line}: {text}\n    {why}", path.strip_prefix(root).unwrap_or(path).display()));
        }
    }
    assert!(installs > 0, "no install line found: the scan looks in the wrong place");
    assert!(wrong.is_empty(), "install lines that do not install vouch:\n{}", wrong.join("\n"));
}
