//! Directories: which index file is served, and the redirects that add the slash and
//! never name another host.

use super::*;

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
