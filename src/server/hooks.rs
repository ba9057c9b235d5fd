//! The `BaseServer` methods a Python user overrides in a subclass (`verify_request`,
//! `handle_error`, `service_actions`, `handle_timeout`), as closures set on the builder.

use std::io;

use crate::{Address, Error};

type VerifyRequest = Box<dyn Fn(&Address) -> bool + Send + Sync>;
type HandleError = Box<dyn Fn(&Address, &Error) + Send + Sync>;
type Action = Box<dyn Fn() + Send + Sync>;

#[derive(Default)]
pub(crate) struct Hooks {
    pub(crate) verify_request: Option<VerifyRequest>,
    pub(crate) handle_error: Option<HandleError>,
    pub(crate) service_actions: Option<Action>,
    pub(crate) handle_timeout: Option<Action>,
}

impl Hooks {
    pub(crate) fn verify_request(&self, client: &Address) -> bool {
        self.verify_request
            .as_ref()
            .is_none_or(|verify| verify(client))
    }

    pub(crate) fn handle_error(&self, client: &Address, err: &Error) {
        match &self.handle_error {
            Some(hook) => hook(client, err),
            None => default_handle_error(client, err),
        }
    }

    pub(crate) fn service_actions(&self) {
        if let Some(action) = &self.service_actions {
            action();
        }
    }

    pub(crate) fn handle_timeout(&self) {
        if let Some(action) = &self.handle_timeout {
            action();
        }
    }
}

/// Python prints a traceback to stderr for every error. Here errors go to the log, and a
/// client that simply went away (reset, broken pipe) is logged at debug level only.
pub fn default_handle_error(client: &Address, err: &Error) {
    let client_left = matches!(
        err,
        Error::Io(e) if matches!(
            e.kind(),
            io::ErrorKind::ConnectionReset
                | io::ErrorKind::ConnectionAborted
                | io::ErrorKind::BrokenPipe
                | io::ErrorKind::UnexpectedEof
        )
    );
    if client_left {
        log::debug!("client {client} went away: {err}");
    } else {
        log::error!("error processing request from {client}: {err}");
    }
}
