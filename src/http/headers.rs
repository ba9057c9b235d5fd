//! [`Headers`]: a request's header fields, looked up by name without regard to case
//! (Python's `self.headers`, an `email.message.Message`).

/// The header fields of a request, in the order they arrived.
///
/// Names compare without regard to case; values are decoded as ISO-8859-1, as Python's
/// `http.server` does, so every byte sequence a client can send has a value.
#[derive(Debug, Clone, Default)]
pub struct Headers {
    fields: Vec<(String, String)>,
}

impl Headers {
    pub(crate) fn with_capacity(capacity: usize) -> Self {
        Headers {
            fields: Vec::with_capacity(capacity),
        }
    }

    pub(crate) fn push(&mut self, name: String, value: String) {
        self.fields.push((name, value));
    }

    /// The value of the first field called `name` (Python's `headers.get(name)`).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Every value of the fields called `name`, in order (Python's `get_all`).
    pub fn get_all<'h>(&'h self, name: &'h str) -> impl Iterator<Item = &'h str> {
        self.fields
            .iter()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Whether a comma-separated field such as `Connection` lists `token`, in any field
    /// of that name and in any case (`Connection: Keep-Alive, Upgrade` has `keep-alive`).
    pub fn has_token(&self, name: &str, token: &str) -> bool {
        self.get_all(name)
            .flat_map(|value| value.split(','))
            .any(|item| item.trim().eq_ignore_ascii_case(token))
    }

    /// All fields as `(name, value)` pairs, in the order they arrived.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.fields.iter().map(|(n, v)| (n.as_str(), v.as_str()))
    }

    /// How many fields there are.
    pub fn len(&self) -> usize {
        self.fields.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookup_ignores_case_and_keeps_order() {
        let mut headers = Headers::default();
        headers.push("Accept".into(), "text/html".into());
        headers.push("connection".into(), "Keep-Alive, Upgrade".into());
        headers.push("ACCEPT".into(), "image/jpeg".into());
        assert_eq!(headers.get("accept"), Some("text/html"));
        assert_eq!(
            headers.get_all("Accept").collect::<Vec<_>>(),
            ["text/html", "image/jpeg"]
        );
        assert!(headers.has_token("Connection", "keep-alive"));
        assert!(headers.has_token("Connection", "upgrade"));
        assert!(!headers.has_token("Connection", "close"));
        assert_eq!(headers.get("Host"), None);
        assert_eq!(headers.len(), 3);
    }
}
