//! Runtime faults (a record could not be processed) and fatal errors.

use std::fmt;

/// A record could not be processed: bad data, division by zero, overflow, an
/// index out of range. It goes to the source's `on_error` route.
#[derive(Clone, Debug, PartialEq)]
pub struct Fault {
    /// Where it happened, e.g. `pageviews [2] select`; `decode` for bad input.
    pub stage: &'static str,
    pub message: String,
}

impl Fault {
    pub fn new(message: impl Into<String>) -> Self {
        Fault { stage: "", message: message.into() }
    }

    /// Names the stage, unless an inner call already did.
    pub fn at(mut self, stage: &'static str) -> Self {
        if self.stage.is_empty() {
            self.stage = stage;
        }
        self
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.stage.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "{}: {}", self.stage, self.message)
        }
    }
}

/// Everything that can stop a record: a fault (routed by `on_error`) or a
/// fatal error (a sink failed; the pipeline stops).
#[derive(Debug)]
pub enum Error {
    Fault(Fault),
    Fatal(String),
}

impl From<Fault> for Error {
    fn from(fault: Fault) -> Self {
        Error::Fault(fault)
    }
}

impl From<std::io::Error> for Error {
    fn from(error: std::io::Error) -> Self {
        Error::Fatal(error.to_string())
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Fault(fault) => fault.fmt(f),
            Error::Fatal(message) => f.write_str(message),
        }
    }
}

pub type Result<T, E = Fault> = std::result::Result<T, E>;

/// The message of a caught panic (a user's `extern fn`).
pub fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    if let Some(text) = panic.downcast_ref::<&str>() {
        (*text).to_string()
    } else if let Some(text) = panic.downcast_ref::<String>() {
        text.clone()
    } else {
        "a panic without a message".to_string()
    }
}
