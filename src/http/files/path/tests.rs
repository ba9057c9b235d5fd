//! Path resolution against real trees: files, directories, symbolic links in and out of
//! the served root, odd names.

use super::*;
use std::os::unix::fs::symlink;
use tempfile::TempDir;

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

#[test]
fn plain_files_and_directories() {
    let tree = Tree::new();
    assert_eq!(tree.contents("/hello.txt"), "hello");
    assert_eq!(tree.contents("/sub/file.txt"), "file");
    assert_eq!(tree.contents("/a%20b.txt"), "space");
    assert_eq!(tree.contents("/caf%C3%A9.txt"), "utf-8");
    assert_eq!(tree.contents("/caf%c3%a9.txt"), "utf-8");
    assert_eq!(tree.contents("//sub///file.txt"), "file");
    assert_eq!(tree.contents("/./sub/./file.txt"), "file");
    assert_eq!(tree.contents("/%2e/sub/file.txt"), "file");
    match tree.resolve("/hello.txt") {
        Resolved::File { metadata, .. } => assert_eq!(metadata.len(), 5),
        other => panic!("{other:?}"),
    }
    match tree.resolve("/") {
        Resolved::Directory {
            path,
            trailing_slash: true,
        } => assert_eq!(path, tree.root()),
        other => panic!("{other:?}"),
    }
    match tree.resolve("/sub") {
        Resolved::Directory {
            path,
            trailing_slash: false,
        } => assert_eq!(path, tree.root().join("sub")),
        other => panic!("{other:?}"),
    }
    assert_eq!(tree.status("/sub"), 301);
    assert_eq!(tree.status("/sub/"), 200);
    assert_eq!(tree.status("/sub/inner/"), 200);
}

#[test]
fn query_and_fragment_are_ignored() {
    let tree = Tree::new();
    assert_eq!(tree.contents("/hello.txt?x=1"), "hello");
    assert_eq!(
        tree.contents("/hello.txt?../../outside/secret.txt"),
        "hello"
    );
    assert_eq!(tree.contents("/hello.txt#../../x"), "hello");
    assert_eq!(tree.status("/sub?x=/"), 301);
    assert_eq!(tree.status("/sub/?x"), 200);
}

#[test]
fn absolute_form_uses_its_path() {
    let tree = Tree::new();
    assert_eq!(tree.contents("http://example.com/hello.txt"), "hello");
    assert_eq!(
        tree.contents("HTTPS://example.com:8443/sub/file.txt?q"),
        "file"
    );
    assert_eq!(tree.status("http://example.com"), 200);
    assert_eq!(tree.status("http://example.com/../outside/secret.txt"), 400);
    assert_eq!(tree.status("ftp://example.com/hello.txt"), 400);
}

#[test]
fn missing_and_misnamed() {
    let tree = Tree::new();
    assert_eq!(tree.status("/nope.txt"), 404);
    assert_eq!(tree.status("/sub/nope/"), 404);
    assert_eq!(tree.status("/hello.txt/"), 404);
    assert_eq!(tree.status("/hello.txt/more"), 404);
    assert_eq!(tree.status("/HELLO.TXT"), 404);
}

#[test]
fn targets_that_are_not_paths() {
    let tree = Tree::new();
    for target in [
        "",
        "*",
        "example.com:443",
        "hello.txt",
        "sub/file.txt",
        "?x",
    ] {
        assert_eq!(tree.status(target), 400, "{target:?}");
    }
}

/// Every spelling of "the parent of the root" is refused before the file system is
/// asked, and nothing outside is ever the answer.
#[test]
fn traversal_spellings_are_refused() {
    let tree = Tree::new();
    for target in [
        "/../outside/secret.txt",
        "/sub/../../outside/secret.txt",
        "/sub/../hello.txt",
        "/..",
        "/../",
        "/%2e%2e/outside/secret.txt",
        "/%2E%2E/outside/secret.txt",
        "/%2E%2e/outside/secret.txt",
        "/.%2e/outside/secret.txt",
        "/%2e./outside/secret.txt",
        "/sub/%2e%2e/%2e%2e/outside/secret.txt",
        "/..%2foutside%2fsecret.txt",
        "/..%2Foutside/secret.txt",
        "/%2e%2e%2foutside%2fsecret.txt",
        "/sub%2f..%2f..%2foutside/secret.txt",
        "/..\\outside\\secret.txt",
        "/..%5coutside%5csecret.txt",
        "/..%5Coutside/secret.txt",
        "/%5c..%5c..%5coutside%5csecret.txt",
        "/sub\\..\\hello.txt",
        "//../outside/secret.txt",
        "/%2f%2e%2e/outside/secret.txt",
        "/hello.txt%00",
        "/hello.txt%00.png",
        "/%00",
        "/hello.txt\0",
        "/sub/\0/file.txt",
        "/hello\r\n.txt",
    ] {
        assert_eq!(tree.status(target), 400, "{target:?}");
    }
}

/// `%25` decodes to `%` once: `%252e%252e` is the directory literally named `%2e%2e`
/// inside the root, never `..`.
#[test]
fn percent_decoding_happens_once() {
    let tree = Tree::new();
    assert_eq!(tree.contents("/%252e%252e/literal.txt"), "literal");
    assert_eq!(tree.status("/%252e%252e/outside/secret.txt"), 404);
    assert_eq!(tree.status("/%252e%252e%252foutside%252fsecret.txt"), 404);
    assert_eq!(tree.status("/%25%32%65%25%32%65/literal.txt"), 200);
}

#[test]
fn absolute_paths_and_drive_prefixes_stay_inside() {
    let tree = Tree::new();
    let secret = tree.base.path().join("outside/secret.txt");
    let absolute = format!("/{}", secret.display());
    assert_eq!(tree.status(&absolute), 404);
    let encoded = format!("/{}", secret.display().to_string().replace('/', "%2f"));
    assert_eq!(tree.status(&encoded), 400);
    assert_eq!(tree.status("/%2fetc%2fpasswd"), 400);
    assert_eq!(tree.status("/etc/passwd"), 404);
    // On Unix `C:` is an ordinary name (here, a file inside the root).
    assert_eq!(tree.contents("/C:"), "colon");
    assert_eq!(tree.status("/C:/Windows/win.ini"), 404);
    assert_eq!(tree.status("/C:%5cWindows%5cwin.ini"), 400);
    assert_eq!(tree.status("/C:\\Windows"), 400);
}

#[test]
fn symbolic_links_out_of_the_root_are_not_followed() {
    let tree = Tree::new();
    for target in [
        "/out_dir",
        "/out_dir/",
        "/out_dir/secret.txt",
        "/out_dir/deeper/x.txt",
        "/out_dir/nope.txt",
        "/out_abs",
        "/sub/out_file",
        "/chain_out/secret.txt",
        "/sub/up_out/outside/secret.txt",
        "/sub/up_out/",
        "/in_dir/out_file",
        "/sub/up_in/sub/out_file",
    ] {
        assert_eq!(tree.status(target), 403, "{target:?}");
    }
}

#[test]
fn symbolic_links_inside_the_root_are_followed() {
    let tree = Tree::new();
    assert_eq!(tree.contents("/in_file"), "file");
    assert_eq!(tree.contents("/in_dir/file.txt"), "file");
    assert_eq!(tree.contents("/chain_in/file.txt"), "file");
    assert_eq!(tree.contents("/sub/up_in/hello.txt"), "hello");
    match tree.resolve("/in_file") {
        Resolved::File { path, .. } => assert_eq!(path, tree.root().join("sub/file.txt")),
        other => panic!("{other:?}"),
    }
    match tree.resolve("/sub/up_in/") {
        Resolved::Directory { path, .. } => assert_eq!(path, tree.root()),
        other => panic!("{other:?}"),
    }
    assert_eq!(tree.status("/in_dir"), 301);
}

#[test]
fn broken_and_looping_links_are_not_found() {
    let tree = Tree::new();
    assert_eq!(tree.status("/dangling"), 404);
    assert_eq!(tree.status("/loop_a"), 404);
    assert_eq!(tree.status("/loop_b/x"), 404);
}

#[test]
fn special_files_are_forbidden() {
    let tree = Tree::new();
    let _socket = std::os::unix::net::UnixListener::bind(tree.root().join("sock")).unwrap();
    assert_eq!(tree.status("/sock"), 403);
}

#[test]
fn names_that_are_not_utf8() {
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;
    let tree = Tree::new();
    let name = OsStr::from_bytes(b"caf\xe9.txt");
    match fs::write(tree.root().join(name), "latin-1") {
        Ok(()) => assert_eq!(tree.contents("/caf%E9.txt"), "latin-1"),
        // Some file systems (macOS, ZFS with utf8only) refuse such names.
        Err(err) => eprintln!("skipped: {err}"),
    }
    assert_eq!(tree.status("/%ff%fe"), 404);
}

#[test]
fn a_root_given_through_a_link_is_canonical() {
    let tree = Tree::new();
    let link = tree.base.path().join("root_link");
    symlink("root", &link).unwrap();
    let served = ServedRoot::new(&link).unwrap();
    assert_eq!(served.path(), tree.root());
    assert!(matches!(
        served.resolve("/hello.txt"),
        Resolved::File { .. }
    ));
    assert!(matches!(
        served.resolve("/out_dir/secret.txt"),
        Resolved::Forbidden
    ));
    assert!(ServedRoot::new(tree.root().join("hello.txt")).is_err());
    assert!(ServedRoot::new(tree.root().join("nope")).is_err());
}

#[test]
fn index_files() {
    let tree = Tree::new();
    let sub = tree.root().join("sub");
    assert!(tree.served.index_file(&sub).is_none());
    fs::write(sub.join("index.htm"), "htm").unwrap();
    let (path, _) = tree.served.index_file(&sub).unwrap();
    assert_eq!(path, sub.join("index.htm"));
    fs::write(sub.join("index.html"), "html").unwrap();
    let (path, metadata) = tree.served.index_file(&sub).unwrap();
    assert_eq!(path, sub.join("index.html"));
    assert_eq!(metadata.len(), 4);
    // An index that leaves the root is passed over; a directory is not an index.
    let inner = sub.join("inner");
    symlink(
        tree.base.path().join("outside/secret.txt"),
        inner.join("index.html"),
    )
    .unwrap();
    assert!(tree.served.index_file(&inner).is_none());
    fs::create_dir(inner.join("index.htm")).unwrap();
    assert!(tree.served.index_file(&inner).is_none());
    // One that stays inside is followed.
    let root_index = tree.root().join("index.html");
    symlink("sub/index.html", &root_index).unwrap();
    let (path, _) = tree.served.index_file(tree.root()).unwrap();
    assert_eq!(path, sub.join("index.html"));
}

#[test]
fn redirects_add_the_slash_and_keep_the_query() {
    assert_eq!(directory_redirect("/dir"), "/dir/");
    assert_eq!(directory_redirect("/a/b"), "/a/b/");
    assert_eq!(directory_redirect("/dir?x=1&y=2"), "/dir/?x=1&y=2");
    assert_eq!(directory_redirect("/dir?"), "/dir/");
    assert_eq!(directory_redirect("/dir#frag"), "/dir/");
    assert_eq!(directory_redirect("/dir?q#frag"), "/dir/?q");
    assert_eq!(directory_redirect("/a%20b"), "/a%20b/");
    assert_eq!(directory_redirect("/caf%C3%A9"), "/caf%C3%A9/");
    assert_eq!(directory_redirect("/café"), "/caf%C3%A9/");
    assert_eq!(directory_redirect("/dir/"), "/dir/");
    assert_eq!(directory_redirect("/"), "/");
    assert_eq!(directory_redirect("http://host:8000/dir?q"), "/dir/?q");
    assert_eq!(directory_redirect("http://host"), "/");
}

/// CVE-2021-28861: however the target starts, the `Location` is a path on this host.
#[test]
fn redirects_never_name_another_host() {
    assert_eq!(directory_redirect("//example.com/dir"), "/example.com/dir/");
    assert_eq!(
        directory_redirect("///example.com/dir"),
        "/example.com/dir/"
    );
    assert_eq!(directory_redirect("//example.com"), "/example.com/");
    assert_eq!(
        directory_redirect("/\\example.com/dir"),
        "/%5Cexample.com/dir/"
    );
    assert_eq!(directory_redirect("/\t/example.com"), "/%09/example.com/");
    assert_eq!(directory_redirect("/\n/example.com"), "/%0A/example.com/");
    assert_eq!(
        directory_redirect("http:////example.com/x"),
        "/example.com/x/"
    );
    assert_eq!(
        directory_redirect("/d?x=\r\nSet-Cookie: a"),
        "/d/?x=%0D%0ASet-Cookie:%20a"
    );
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = move || {
        // xorshift64: reproducible without a dependency.
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    const PIECES: [&str; 12] = [
        "/",
        "//",
        "\\",
        "?",
        "#",
        "example.com",
        "%2f",
        "\t",
        "\n",
        " ",
        "http:",
        "é",
    ];
    for _ in 0..10_000 {
        let target: String = (0..next() % 8)
            .map(|_| PIECES[(next() % PIECES.len() as u64) as usize])
            .collect();
        let location = directory_redirect(&target);
        let bytes = location.as_bytes();
        assert_eq!(bytes[0], b'/', "{target:?} -> {location:?}");
        assert_ne!(bytes.get(1), Some(&b'/'), "{target:?} -> {location:?}");
        assert!(
            bytes
                .iter()
                .all(|b| b.is_ascii_graphic() && *b != b'\\' && *b != b'#'),
            "{target:?} -> {location:?}"
        );
    }
}
