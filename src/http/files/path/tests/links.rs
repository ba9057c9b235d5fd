//! Symbolic links (followed inside the root, not out of it; broken and looping ones not
//! found), special files, and a root given through a link.

use super::*;

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
