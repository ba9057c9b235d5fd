//! Ordinary targets: files and directories, queries and fragments, the absolute form,
//! what is missing, targets that are not paths, and names that are not UTF-8.

use super::*;

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
