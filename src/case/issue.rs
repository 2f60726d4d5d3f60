//! A problem found in a case file before it is given a location.

use super::spans::Part;

/// One problem, located by JSON pointer into the document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Issue {
    /// JSON pointer of the offending node, e.g. `/case/2/invariants/0`.
    pub pointer: String,
    /// Point at the node's key or its value.
    pub part: Part,
    /// What is wrong and what is allowed.
    pub message: String,
    /// How to fix it.
    pub help: Option<String>,
}

impl Issue {
    pub(crate) fn value(pointer: impl Into<String>, message: impl Into<String>) -> Issue {
        Issue {
            pointer: pointer.into(),
            part: Part::Value,
            message: message.into(),
            help: None,
        }
    }

    pub(crate) fn key(pointer: impl Into<String>, message: impl Into<String>) -> Issue {
        Issue {
            part: Part::Key,
            ..Issue::value(pointer, message)
        }
    }

    pub(crate) fn help(mut self, help: impl Into<String>) -> Issue {
        self.help = Some(help.into());
        self
    }

    pub(crate) fn maybe_help(mut self, help: Option<String>) -> Issue {
        self.help = help;
        self
    }
}
