//! The error a plugin prints on stdout, as the CNI spec writes it:
//! `{"cniVersion", "code", "msg", "details"}`, with the spec's well-known
//! codes and one of the plugin's own (100) for a kernel failure.

use serde::Serialize;

/// The spec's codes (0-99 are the spec's, 100 and up the plugin's).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Code {
    IncompatibleVersion = 1,
    ContainerUnknown = 3,
    InvalidEnv = 4,
    Io = 5,
    Decode = 6,
    InvalidConfig = 7,
    TryAgainLater = 11,
    /// The kernel refused an operation (its words in `details`).
    Kernel = 100,
}

#[derive(Debug, Clone)]
pub struct CniError {
    pub code: Code,
    pub msg: String,
    pub details: String,
}

impl CniError {
    pub fn new(code: Code, msg: impl Into<String>) -> CniError {
        CniError {
            code,
            msg: msg.into(),
            details: String::new(),
        }
    }

    pub fn details(mut self, d: impl Into<String>) -> CniError {
        self.details = d.into();
        self
    }

    /// The kernel's or the state directory's failure, in its words.
    pub fn kernel(what: &str, e: impl std::fmt::Display) -> CniError {
        CniError::new(Code::Kernel, what).details(e.to_string())
    }

    /// The JSON the runtime reads, for config version `version`.
    pub fn to_json(&self, version: &str) -> String {
        #[derive(Serialize)]
        struct Out<'a> {
            #[serde(rename = "cniVersion")]
            version: &'a str,
            code: u32,
            msg: &'a str,
            #[serde(skip_serializing_if = "str::is_empty")]
            details: &'a str,
        }
        let out = Out {
            version,
            code: self.code as u32,
            msg: &self.msg,
            details: &self.details,
        };
        serde_json::to_string(&out).unwrap_or_default()
    }
}
