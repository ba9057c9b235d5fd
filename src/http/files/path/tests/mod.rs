//! Path resolution against real trees: files, directories, symbolic links in and out of
//! the served root, odd names.
//!
//! The tree every test serves is built here; `targets` resolves ordinary request targets,
//! `traversal` refuses every way out of the root, `links` follows links inside it and
//! not out of it, `directories` serves index files and redirects.

use super::*;
use std::os::unix::fs::symlink;
use tempfile::TempDir;

mod directories;
mod links;
mod targets;
mod traversal;

/// `base/outside/secret.txt`, and the served `base/root` with files, a subdirectory
/// and symbolic links that stay inside and that leave.
struct Tree {
    base: TempDir,
    served: ServedRoot,
}

impl Tree {
    fn new() -> Tree {
        let base = tempfile::tempdir().expect("temp dir");
        let b = base.path();
        fs::create_dir_all(b.join("outside/deeper")).unwrap();
        fs::write(b.join("outside/secret.txt"), "secret").unwrap();
        fs::write(b.join("outside/deeper/x.txt"), "x").unwrap();
        let r = b.join("root");
        fs::create_dir_all(r.join("sub/inner")).unwrap();
        fs::write(r.join("hello.txt"), "hello").unwrap();
        fs::write(r.join("sub/file.txt"), "file").unwrap();
        fs::write(r.join("a b.txt"), "space").unwrap();
        fs::write(r.join("café.txt"), "utf-8").unwrap();
        fs::write(r.join("C:"), "colon").unwrap();
        fs::create_dir(r.join("%2e%2e")).unwrap();
        fs::write(r.join("%2e%2e/literal.txt"), "literal").unwrap();
        // Links out of the root: relative, absolute, to a file, through a chain.
        symlink("../outside", r.join("out_dir")).unwrap();
        symlink(b.join("outside/secret.txt"), r.join("out_abs")).unwrap();
        symlink("../../outside/secret.txt", r.join("sub/out_file")).unwrap();
        symlink("out_dir", r.join("chain_out")).unwrap();
        symlink("../..", r.join("sub/up_out")).unwrap();
        // Links that stay inside.
        symlink("sub", r.join("in_dir")).unwrap();
        symlink("sub/file.txt", r.join("in_file")).unwrap();
        symlink("..", r.join("sub/up_in")).unwrap();
        symlink("in_dir", r.join("chain_in")).unwrap();
        // Broken and looping links.
        symlink("nowhere", r.join("dangling")).unwrap();
        symlink("loop_b", r.join("loop_a")).unwrap();
        symlink("loop_a", r.join("loop_b")).unwrap();
        let served = ServedRoot::new(&r).expect("root");
        Tree { base, served }
    }

    fn root(&self) -> &Path {
        self.served.path()
    }

    fn resolve(&self, target: &str) -> Resolved {
        self.served.resolve(target)
    }

    /// The file `target` resolves to, read.
    fn contents(&self, target: &str) -> String {
        match self.resolve(target) {
            Resolved::File { path, .. } => {
                let real = fs::canonicalize(&path).unwrap();
                assert_eq!(real, path, "{target}");
                assert!(path.starts_with(self.root()), "{target}: {path:?}");
                fs::read_to_string(path).unwrap()
            }
            other => panic!("{target}: {other:?}"),
        }
    }

    fn status(&self, target: &str) -> u16 {
        let resolved = self.resolve(target);
        if let Resolved::File { path, .. } | Resolved::Directory { path, .. } = &resolved {
            // Canonical already: canonicalizing again must change nothing.
            let real = fs::canonicalize(path).unwrap();
            assert_eq!(&real, path, "{target}");
            assert!(real.starts_with(self.root()), "{target} escaped: {path:?}");
        }
        resolved.status()
    }
}
