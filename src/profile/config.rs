//! [`Config`]: a loaded `opconform.toml`, how it is found, and how a profile
//! is chosen from it.

use std::io::Read;
use std::path::{Path, PathBuf};

use super::error::ConfigError;
use super::loader::{self, profile_help};
use super::settings::Profile;
use super::source::Source;
use crate::gate::Waiver;

/// The file looked for in the current directory when no `--config` is given.
pub const DEFAULT_CONFIG_FILE: &str = "opconform.toml";

/// Config files larger than this are rejected before parsing (a config file
/// is a few kilobytes; anything this big is the wrong file).
pub const MAX_CONFIG_BYTES: u64 = 1024 * 1024;

/// A loaded, checked config file.
///
/// ```
/// use opconform::profile::Config;
/// let text = r#"
/// default_profile = "local"
///
/// [profile.local]
/// target = "http://127.0.0.1:8080/v1"
///
/// [profile.staging]
/// target = "https://staging.example.com/v1"
/// token_env = "STAGING_AKUA_TOKEN"
/// rate = "5/s"
///
/// [[profile.staging.waiver]]
/// invariant = "OP-ETAG-HEADER"
/// reason = "ETag support ships in 2027.1 (JIRA-123)"
/// expires = 2027-01-31
/// "#;
/// let config = Config::parse("opconform.toml", text).unwrap();
/// assert_eq!(config.profile(None).unwrap().name, "local");
/// let staging = config.profile(Some("staging")).unwrap();
/// assert_eq!(staging.rate.unwrap().to_string(), "5/s");
/// assert_eq!(staging.waivers[0].invariant, "OP-ETAG-HEADER");
///
/// let err = config.profile(Some("stagign")).unwrap_err();
/// assert_eq!(err.message, "unknown profile `stagign`");
/// assert_eq!(err.help.as_deref(), Some("did you mean `staging`? available profiles: local, staging"));
/// ```
#[derive(Debug, Clone)]
pub struct Config {
    path: PathBuf,
    default_profile: Option<String>,
    profiles: Vec<Profile>,
    waivers: Vec<Waiver>,
    /// What `profile(None)` returns when no default is set: no settings,
    /// only the top-level waivers.
    implicit: Profile,
}

impl Config {
    /// Reads and checks the config file at `path`. Every problem found is
    /// returned, each pointing into the file.
    pub fn load(path: impl AsRef<Path>) -> Result<Config, Vec<ConfigError>> {
        let path = path.as_ref();
        let text = read(path).map_err(|e| vec![e])?;
        Config::parse(path, &text)
    }

    /// Checks `text` as if read from `path` (relative paths in it resolve
    /// against `path`'s folder).
    pub fn parse(path: impl AsRef<Path>, text: &str) -> Result<Config, Vec<ConfigError>> {
        let path = path.as_ref();
        let source = Source::new(path, text.to_string());
        let base_dir = path.parent().unwrap_or(Path::new(""));
        let loaded = loader::load(&source, base_dir)?;
        Ok(Config {
            path: path.to_path_buf(),
            default_profile: loaded.default_profile,
            implicit: Profile {
                waivers: loaded.waivers.clone(),
                ..Profile::default()
            },
            profiles: loaded.profiles,
            waivers: loaded.waivers,
        })
    }

    /// Finds the config file: `explicit` (from `--config`; it must exist),
    /// else `./opconform.toml` if present, else `Ok(None)`.
    pub fn discover(
        explicit: Option<&Path>,
    ) -> Result<Option<(PathBuf, Config)>, Vec<ConfigError>> {
        Config::discover_in(Path::new(""), explicit)
    }

    /// [`Config::discover`] relative to `dir` instead of the current
    /// directory (relative `explicit` paths are joined to `dir` too).
    ///
    /// ```
    /// use opconform::profile::Config;
    /// let dir = std::path::Path::new("/nonexistent/opconform-doc");
    /// assert!(Config::discover_in(dir, None).unwrap().is_none());
    /// let errs = Config::discover_in(dir, Some("missing.toml".as_ref())).unwrap_err();
    /// assert!(errs[0].message.starts_with("read config file"));
    /// ```
    pub fn discover_in(
        dir: &Path,
        explicit: Option<&Path>,
    ) -> Result<Option<(PathBuf, Config)>, Vec<ConfigError>> {
        let path = match explicit {
            Some(p) => dir.join(p),
            None => {
                let p = dir.join(DEFAULT_CONFIG_FILE);
                if !p.is_file() {
                    return Ok(None);
                }
                p
            }
        };
        let config = Config::load(&path)?;
        Ok(Some((path, config)))
    }

    /// The file this config was read from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// `default_profile`, when set.
    pub fn default_profile(&self) -> Option<&str> {
        self.default_profile.as_deref()
    }

    /// Every profile, in file order.
    pub fn profiles(&self) -> &[Profile] {
        &self.profiles
    }

    /// The top-level `[[waiver]]`s (also included in every profile).
    pub fn waivers(&self) -> &[Waiver] {
        &self.waivers
    }

    /// The profile to use: `name` (from `--profile`), else
    /// `default_profile`, else an implicit profile with no settings and the
    /// top-level waivers. An unknown name is an error listing the profiles,
    /// with a did-you-mean.
    pub fn profile(&self, name: Option<&str>) -> Result<&Profile, ConfigError> {
        let Some(name) = name.or(self.default_profile.as_deref()) else {
            return Ok(&self.implicit);
        };
        self.profiles
            .iter()
            .find(|p| p.name == name)
            .ok_or_else(|| {
                ConfigError::whole_file(
                    &self.path,
                    format!("unknown profile `{name}`"),
                    Some(profile_help(
                        name,
                        self.profiles.iter().map(|p| p.name.as_str()),
                    )),
                )
            })
    }
}

/// Reads the file as UTF-8, with errors that say what to do.
fn read(path: &Path) -> Result<String, ConfigError> {
    let io = |err: std::io::Error| {
        ConfigError::whole_file(
            path,
            format!("read config file: {}", lower_first(&err.to_string())),
            Some("check the path given to --config".into()),
        )
    };
    let file = std::fs::File::open(path).map_err(io)?;
    let mut bytes = Vec::new();
    file.take(MAX_CONFIG_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(io)?;
    if bytes.len() as u64 > MAX_CONFIG_BYTES {
        return Err(ConfigError::whole_file(
            path,
            format!("read config file: larger than {MAX_CONFIG_BYTES} bytes"),
            Some("point --config at an opconform.toml file".into()),
        ));
    }
    match String::from_utf8(bytes) {
        Ok(text) => Ok(text),
        Err(err) => {
            let valid = err.utf8_error().valid_up_to();
            let text = String::from_utf8_lossy(err.as_bytes()).into_owned();
            // The prefix up to `valid` is unchanged by the lossy conversion,
            // so the offset still points at the bad byte.
            let source = Source::new(path, text);
            let position = source.position(valid..valid + 1, None);
            Err(ConfigError::at(
                path,
                position,
                None,
                "read config file: not valid UTF-8",
                Some("save the file as UTF-8".into()),
            ))
        }
    }
}

fn lower_first(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config, Vec<ConfigError>> {
        Config::parse(Path::new("dir/opconform.toml"), text)
    }

    #[test]
    fn no_default_gives_the_implicit_profile_with_global_waivers() {
        let c = parse(
            "[profile.a]\nstrict = true\n\n[[waiver]]\ninvariant = \"LIST-LIMIT\"\nreason = \"r\"\nexpires = 2030-01-01\n",
        )
        .unwrap();
        let p = c.profile(None).unwrap();
        assert_eq!(p.name, "");
        assert_eq!(p.strict, None);
        assert_eq!(p.waivers.len(), 1);
        assert_eq!(c.profile(Some("a")).unwrap().waivers.len(), 1);
    }

    #[test]
    fn unknown_profile_without_any_profiles() {
        let c = parse("").unwrap();
        let err = c.profile(Some("x")).unwrap_err();
        assert_eq!(
            err.help.as_deref(),
            Some("no profiles are defined; add a [profile.x] table")
        );
        assert_eq!(err.line, None);
    }

    #[test]
    fn relative_paths_resolve_against_the_file() {
        let c = parse(
            "[profile.a]\ncases = [\"cases\", \"/abs\"]\nca_cert = \"ca.pem\"\nout = \"r\"\n",
        )
        .unwrap();
        let p = c.profile(Some("a")).unwrap();
        assert_eq!(
            p.cases.as_deref(),
            Some(&[PathBuf::from("dir/cases"), PathBuf::from("/abs")][..])
        );
        assert_eq!(p.ca_cert.as_deref(), Some(Path::new("dir/ca.pem")));
        assert_eq!(p.out.as_deref(), Some(Path::new("dir/r")));
    }

    #[test]
    fn lower_first_lowercases_only_the_first_char() {
        assert_eq!(
            lower_first("No such file (os error 2)"),
            "no such file (os error 2)"
        );
        assert_eq!(lower_first(""), "");
    }
}
