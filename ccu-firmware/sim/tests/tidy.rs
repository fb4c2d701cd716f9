//! House-style checks for both firmware crates (`ccu-firmware/core` and this one): every
//! file opens with a `//!` line and stays small.

use std::path::{Path, PathBuf};

const MAX_LINES: usize = 400;

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn files_have_a_doc_line_and_stay_small() {
    let firmware = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf();
    // the no_std core next door too: one check for both firmware crates
    for root in [firmware.join("sim"), firmware.join("core")] {
        let mut files = Vec::new();
        rust_files(&root.join("src"), &mut files);
        rust_files(&root.join("tests"), &mut files);
        assert!(files.len() > 10);
        for file in files {
            let text = std::fs::read_to_string(&file).unwrap();
            let name = file.strip_prefix(&firmware).unwrap().display();
            assert!(
                text.starts_with("//!"),
                "{name} must start with a `//!` line"
            );
            let n_lines = text.lines().count();
            assert!(
                n_lines <= MAX_LINES,
                "{name} has {n_lines} lines (max {MAX_LINES})"
            );
        }
    }
}
