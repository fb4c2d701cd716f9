//! The workspace's house rules, checked on every test run (see `docs/style.md`): every
//! `.rs` file opens with a `//!` line and has at most 500 lines; only `backend::store` (and
//! the migrations) speak sea-orm; only `web` speaks poem; the web layer calls services,
//! never the store; the files of `backend` import each other without cycles.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Longest file.
const MAX_LINES: usize = 500;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// Every `.rs` file of ours (not vendored crates, not build output), relative to the root.
fn sources() -> Vec<PathBuf> {
    fn walk(dir: &Path, root: &Path, out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries.flatten() {
            let path = e.path();
            let name = e.file_name().to_string_lossy().to_string();
            if path.is_dir() {
                if !(name.starts_with('.')
                    || ["target", "vendor", "node_modules", "corpus", "artifacts"]
                        .contains(&name.as_str()))
                {
                    walk(&path, root, out);
                }
            } else if name.ends_with(".rs") {
                out.push(path.strip_prefix(root).unwrap().to_path_buf());
            }
        }
    }
    let root = root();
    let mut out = Vec::new();
    walk(&root, &root, &mut out);
    out.sort();
    assert!(
        out.len() > 100,
        "found only {} files under {}",
        out.len(),
        root.display()
    );
    out
}

fn read(rel: &Path) -> String {
    std::fs::read_to_string(root().join(rel)).unwrap()
}

/// Product code (what ships), as opposed to tests, benchmarks and fuzz targets.
fn is_product(rel: &Path) -> bool {
    let s = rel.to_string_lossy();
    [
        "src/",
        "backend/src/",
        "web/src/",
        "broker/src/",
        "config/src/",
        "migration/src/",
        "ccu-firmware/core/src/",
        "ccu-firmware/sim/src/",
    ]
    .iter()
    .any(|p| s.starts_with(p))
}

/// Lines that are code (comments dropped, unit tests at the end of a file too), for the
/// dependency rules.
fn code_lines(text: &str) -> impl Iterator<Item = &str> {
    text.lines()
        .take_while(|l| l.trim() != "#[cfg(test)]")
        .filter(|l| !l.trim_start().starts_with("//"))
}

fn mentions(text: &str, word: &str) -> bool {
    code_lines(text).any(|l| {
        l.match_indices(word).any(|(i, _)| {
            let before = l[..i].chars().next_back();
            let after = l[i + word.len()..].chars().next();
            !before.is_some_and(|c| c.is_alphanumeric() || c == '_')
                && !after.is_some_and(|c| c.is_alphanumeric() || c == '_')
        })
    })
}

#[test]
fn every_file_opens_with_a_doc_line_and_stays_short() {
    let mut bad = Vec::new();
    for rel in sources() {
        let text = read(&rel);
        if !text.starts_with("//!") {
            bad.push(format!(
                "{}: does not open with a `//!` line",
                rel.display()
            ));
        }
        let n = text.lines().count();
        if n > MAX_LINES {
            bad.push(format!(
                "{}: {n} lines (at most {MAX_LINES}); split it by concept",
                rel.display()
            ));
        }
    }
    assert!(bad.is_empty(), "\n{}", bad.join("\n"));
}

#[test]
fn only_the_store_speaks_sea_orm_and_only_web_speaks_poem() {
    let mut bad = Vec::new();
    for rel in sources().into_iter().filter(|r| is_product(r)) {
        let s = rel.to_string_lossy().to_string();
        let text = read(&rel);
        let store_side = s.starts_with("backend/src/store/")
            || s.starts_with("migration/")
            || s == "backend/src/error.rs";
        if !store_side && mentions(&text, "sea_orm") {
            bad.push(format!("{s}: uses sea_orm outside backend::store"));
        }
        if !s.starts_with("web/") && (mentions(&text, "poem") || mentions(&text, "poem_openapi")) {
            bad.push(format!("{s}: uses poem outside web"));
        }
        if s.starts_with("web/")
            && (text.contains(".store()")
                || mentions(&text, "backend::store::Store")
                || text.contains("backend::Store"))
        {
            bad.push(format!(
                "{s}: the web layer reaches the store; call a service"
            ));
        }
    }
    assert!(bad.is_empty(), "\n{}", bad.join("\n"));
}

/// `backend/src/a/b.rs` → `a::b`; `a/mod.rs` → `a`; `lib.rs` → ``.
fn module_of(rel: &str) -> String {
    let m = rel
        .trim_start_matches("backend/src/")
        .trim_end_matches(".rs");
    let m = m.trim_end_matches("/mod").trim_end_matches("mod");
    if m == "lib" {
        String::new()
    } else {
        m.trim_end_matches('/').replace('/', "::")
    }
}

/// The modules a file refers to by path (`crate::…`, `super::…`), each resolved to the
/// longest module that exists. The crate root's re-exports resolve to where they point.
fn references(module: &str, text: &str, modules: &BTreeSet<String>) -> BTreeSet<String> {
    let reexports: BTreeMap<&str, &str> =
        [("Backend", "app"), ("Store", "store"), ("Error", "error")].into();
    let mut out = BTreeSet::new();
    for line in code_lines(text) {
        for (start, prefix) in line
            .match_indices("crate::")
            .map(|(i, _)| (i, "crate"))
            .chain(line.match_indices("super::").map(|(i, _)| (i, "super")))
        {
            if line[..start].ends_with(|c: char| c.is_alphanumeric() || c == '_' || c == ':') {
                continue;
            }
            let rest = &line[start + prefix.len() + 2..];
            let mut path: Vec<String> = match prefix {
                "crate" => Vec::new(),
                _ => {
                    let mut p: Vec<String> = module
                        .split("::")
                        .filter(|s| !s.is_empty())
                        .map(String::from)
                        .collect();
                    p.pop();
                    p
                }
            };
            // Path segments, then one `{…}` group of further paths (one level).
            let head: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
                .collect();
            let mut tails = vec![String::new()];
            if head.ends_with("::") && rest[head.len()..].starts_with('{') {
                let group: String = rest[head.len() + 1..]
                    .chars()
                    .take_while(|c| *c != '}')
                    .collect();
                tails = group.split(',').map(|t| t.trim().to_string()).collect();
            }
            for seg in head.split("::").filter(|s| !s.is_empty()) {
                path.push(seg.to_string());
            }
            for tail in tails {
                let mut p = path.clone();
                for seg in tail.split("::").filter(|s| !s.is_empty() && *s != "self") {
                    p.push(
                        seg.chars()
                            .take_while(|c| c.is_alphanumeric() || *c == '_')
                            .collect(),
                    );
                }
                if p.len() == 1
                    && let Some(target) = reexports.get(p[0].as_str())
                {
                    out.insert(target.to_string());
                    continue;
                }
                while !p.is_empty() && !modules.contains(&p.join("::")) {
                    p.pop();
                }
                let m = p.join("::");
                if !m.is_empty() && m != module {
                    out.insert(m);
                }
            }
        }
    }
    out
}

#[test]
fn backend_files_import_each_other_without_cycles() {
    let files: Vec<(String, String)> = sources()
        .into_iter()
        .map(|r| r.to_string_lossy().to_string())
        .filter(|r| r.starts_with("backend/src/") && r != "backend/src/lib.rs")
        .map(|r| (module_of(&r), read(Path::new(&r))))
        .collect();
    let modules: BTreeSet<String> = files.iter().map(|(m, _)| m.clone()).collect();
    assert!(
        modules.contains("app") && modules.contains("ingest::sensor"),
        "{modules:?}"
    );
    let graph: BTreeMap<String, BTreeSet<String>> = files
        .iter()
        .map(|(m, text)| (m.clone(), references(m, text, &modules)))
        .collect();
    assert!(
        graph["ingest::sensor"].contains("app"),
        "the parser sees `use crate::app::Backend`"
    );

    // Depth-first search; a back edge is a cycle.
    fn visit(
        m: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        state: &mut BTreeMap<String, u8>,
        stack: &mut Vec<String>,
        cycles: &mut Vec<String>,
    ) {
        state.insert(m.to_string(), 1);
        stack.push(m.to_string());
        for next in graph.get(m).into_iter().flatten() {
            match state.get(next.as_str()).copied().unwrap_or(0) {
                0 => visit(next, graph, state, stack, cycles),
                1 => {
                    let from = stack.iter().position(|s| s == next).unwrap();
                    cycles.push(format!("{} → {next}", stack[from..].join(" → ")));
                }
                _ => {}
            }
        }
        stack.pop();
        state.insert(m.to_string(), 2);
    }
    let mut state = BTreeMap::new();
    let mut cycles = Vec::new();
    for m in graph.keys() {
        if state.get(m.as_str()).copied().unwrap_or(0) == 0 {
            visit(m, &graph, &mut state, &mut Vec::new(), &mut cycles);
        }
    }
    assert!(
        cycles.is_empty(),
        "import cycles between backend files:\n{}",
        cycles.join("\n")
    );
}
