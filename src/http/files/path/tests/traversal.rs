//! Nothing outside the root: every spelling of its parent, percent-decoding once, and
//! absolute paths and drive prefixes kept inside.

use super::*;

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
