//! Profiles: the `opconform.toml` config file with named targets, their
//! settings and waivers. The CLI layers its flags over a chosen
//! [`Profile`] (flag > file > default); a malformed file yields every
//! [`ConfigError`] at once, each pointing at its `line:column`.
//!
//! ```
//! use opconform::profile::{Config, today_utc, WaiverStatus};
//! let config = Config::parse(
//!     "opconform.toml",
//!     "[profile.ci]\ntarget = \"http://127.0.0.1:9000/v1\"\nrequest_timeout_secs = 5\n",
//! ).unwrap();
//! let ci = config.profile(Some("ci")).unwrap();
//! // flag > file > default
//! let flag: Option<std::time::Duration> = None;
//! let timeout = flag.or(ci.request_timeout).unwrap_or(std::time::Duration::from_secs(30));
//! assert_eq!(timeout.as_secs(), 5);
//! assert!(ci.waivers.iter().all(|w| w.status(today_utc()) == WaiverStatus::Active));
//! ```

mod config;
mod error;
mod keys;
mod loader;
mod settings;
mod source;
mod tokens;
mod walker;

pub use crate::gate::{Date, DateError, Waiver, WaiverStatus, today_utc};
pub use crate::target::{Rate, RateError, RateUnit};
pub use config::{Config, DEFAULT_CONFIG_FILE, MAX_CONFIG_BYTES};
pub use error::{ConfigError, render_errors};
pub use keys::{OPS_KEYS, PROFILE_KEYS, TOP_LEVEL_KEYS, WAIVER_KEYS};
pub use settings::Profile;
pub use source::Snippet;
pub use tokens::Tokens;
