//! What the test suite needs from the machine, and how it gets it.
//!
//! Deciding and doing are apart so the decisions can be tested on a fake
//! machine: [`plan`] looks at a [`Host`] (a PATH, whether we are root, the
//! os-release text, the venv folder) and returns a [`Plan`]; only [`apply`]
//! runs apt-get, `python3 -m venv` and pip.

use std::ffi::OsString;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The Schemathesis release the fidelity test runs: installs with Python 3.11
/// from PyPI (checked in a scratch venv when it was pinned).
pub const SCHEMATHESIS_VERSION: &str = "4.32.5";

/// Executables that serve as the headless browser, in the order the HTML
/// report test (`tests/reports`, `Chromium::new`) looks for them.
const CHROMIUM_NAMES: [&str; 3] = ["chromium", "chromium-browser", "google-chrome"];

/// Something the suite needs that the machine lacks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// Headless Chromium: the HTML report test.
    Chromium,
    /// xmllint: the JUnit XSD test.
    Xmllint,
    /// `cc`: mimalloc's build script compiles C.
    CCompiler,
    /// `python3`, to make the Schemathesis venv.
    Python,
    /// `python3` is there but cannot make a venv (Debian's python3-venv).
    PythonVenv,
    /// Schemathesis, for the fidelity test (in a venv of its own).
    Schemathesis,
}

impl Need {
    /// What it is, for a person.
    pub fn what(self) -> String {
        match self {
            Need::Chromium => "chromium: headless Chromium (the HTML report test)".into(),
            Need::Xmllint => "xmllint: libxml2's command-line tool (the JUnit schema test)".into(),
            Need::CCompiler => "cc: a C compiler (mimalloc, the allocator, is C)".into(),
            Need::Python => "python3 with its venv module (to install Schemathesis)".into(),
            Need::PythonVenv => "python3's venv module (to install Schemathesis)".into(),
            Need::Schemathesis => {
                format!("Schemathesis {SCHEMATHESIS_VERSION} (the fidelity test), in its own venv")
            }
        }
    }

    /// The Debian/Ubuntu packages that provide it (none: not from apt).
    fn apt_packages(self) -> &'static [&'static str] {
        match self {
            Need::Chromium => &["chromium"],
            Need::Xmllint => &["libxml2-utils"],
            Need::CCompiler => &["build-essential"],
            Need::Python => &["python3", "python3-venv"],
            Need::PythonVenv => &["python3-venv"],
            Need::Schemathesis => &[],
        }
    }
}

/// The facts about a machine that the plan depends on.
#[derive(Debug, Clone)]
pub struct Host {
    /// Where executables are looked for (the `PATH` variable).
    pub path: OsString,
    /// Running as root (so apt-get works without sudo).
    pub is_root: bool,
    /// The text of `/etc/os-release`, if there is one.
    pub os_release: Option<String>,
    /// The venv that holds Schemathesis.
    pub venv: PathBuf,
    /// `SCHEMATHESIS` as the user set it: their own `st`, used as it is.
    pub schemathesis_override: Option<PathBuf>,
}

impl Host {
    /// This machine, with the venv at `venv`.
    pub fn current(venv: PathBuf) -> Host {
        Host {
            path: std::env::var_os("PATH").unwrap_or_default(),
            is_root: running_as_root(),
            os_release: std::fs::read_to_string("/etc/os-release").ok(),
            venv,
            schemathesis_override: std::env::var_os("SCHEMATHESIS")
                .filter(|v| !v.is_empty())
                .map(PathBuf::from),
        }
    }

    /// `name` as found on [`Host::path`].
    fn find(&self, name: &str) -> Option<PathBuf> {
        std::env::split_paths(&self.path)
            .map(|dir| dir.join(name))
            .find(|candidate| is_executable(candidate))
    }

    /// Debian, Ubuntu or a derivative: apt-get and these package names apply.
    fn is_debian_like(&self) -> bool {
        let Some(text) = &self.os_release else {
            return false;
        };
        text.lines()
            .filter_map(|l| l.split_once('='))
            .filter(|(k, _)| *k == "ID" || *k == "ID_LIKE")
            .flat_map(|(_, v)| v.trim_matches(|c| c == '"' || c == '\'').split_whitespace())
            .any(|id| id == "debian" || id == "ubuntu")
    }

    /// The venv's `st`, when the pinned Schemathesis is installed there.
    fn provisioned_st(&self) -> Option<PathBuf> {
        let st = self.venv.join("bin/st");
        let dist_info = format!("schemathesis-{SCHEMATHESIS_VERSION}.dist-info");
        // lib/python3.X/site-packages: the X is the venv's Python's.
        let installed = std::fs::read_dir(self.venv.join("lib"))
            .into_iter()
            .flatten()
            .flatten()
            .any(|python| {
                python
                    .path()
                    .join("site-packages")
                    .join(&dist_info)
                    .is_dir()
            });
        (installed && is_executable(&st)).then_some(st)
    }
}

fn running_as_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|out| String::from_utf8_lossy(&out.stdout).trim() == "0")
}

fn is_executable(path: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        path.metadata()
            .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    }
    #[cfg(not(unix))]
    {
        path.is_file()
    }
}

/// One thing to do to the machine. [`Step::commands`] are both what [`apply`]
/// runs and what a person is told to run, so the two cannot drift apart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// `apt-get update`, then `apt-get install -y` these packages.
    Apt(Vec<&'static str>),
    /// `python3 -m venv DIR`, then its pip installs the pinned Schemathesis.
    Venv(PathBuf),
}

impl Step {
    /// The commands, one argv each.
    pub fn commands(&self) -> Vec<Vec<String>> {
        match self {
            Step::Apt(packages) => {
                let mut install = vec!["apt-get".into(), "install".into(), "-y".into()];
                install.extend(packages.iter().map(|p| p.to_string()));
                vec![vec!["apt-get".into(), "update".into()], install]
            }
            Step::Venv(dir) => vec![
                vec![
                    "python3".into(),
                    "-m".into(),
                    "venv".into(),
                    dir.display().to_string(),
                ],
                vec![
                    dir.join("bin/pip").display().to_string(),
                    "install".into(),
                    format!("schemathesis=={SCHEMATHESIS_VERSION}"),
                ],
            ],
        }
    }

    /// What it installs, for the closing summary.
    pub fn installs(&self) -> String {
        match self {
            Step::Apt(packages) => packages.join(", "),
            Step::Venv(_) => format!("Schemathesis {SCHEMATHESIS_VERSION} (venv)"),
        }
    }
}

/// What to do before the tests can run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Everything is there.
    Nothing,
    /// xtask can install what is missing itself.
    Install(Vec<Step>),
    /// It cannot: the user must run [`Action::Manual::instructions`] (the
    /// complete list, every missing tool) and nothing is done meanwhile.
    Manual {
        missing: Vec<Need>,
        instructions: String,
    },
}

/// The plan for a machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub action: Action,
    /// The `st` the tests get as `SCHEMATHESIS` once the action is done.
    pub schemathesis: PathBuf,
}

/// What `host` lacks, in a stable order.
pub fn missing(host: &Host) -> Vec<Need> {
    let mut missing = Vec::new();
    if !CHROMIUM_NAMES.iter().any(|n| host.find(n).is_some()) {
        missing.push(Need::Chromium);
    }
    if host.find("xmllint").is_none() {
        missing.push(Need::Xmllint);
    }
    if host.find("cc").is_none() {
        missing.push(Need::CCompiler);
    }
    if host.schemathesis_override.is_none() && host.provisioned_st().is_none() {
        missing.push(Need::Schemathesis);
        // Only a venv still to be made needs python3 (and its venv module:
        // Debian's python3 lacks it until python3-venv is installed).
        match host.find("python3") {
            None => missing.push(Need::Python),
            Some(python) => {
                let can_make_venvs = Command::new(python)
                    .args(["-c", "import ensurepip, venv"])
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .status()
                    .is_ok_and(|s| s.success());
                if !can_make_venvs {
                    missing.push(Need::PythonVenv);
                }
            }
        }
    }
    missing
}

/// Decides what to do on `host`.
pub fn plan(host: &Host) -> Plan {
    let schemathesis = host
        .schemathesis_override
        .clone()
        .unwrap_or_else(|| host.venv.join("bin/st"));
    let missing = missing(host);
    if missing.is_empty() {
        return Plan {
            action: Action::Nothing,
            schemathesis,
        };
    }
    let packages: Vec<&'static str> = missing
        .iter()
        .flat_map(|n| n.apt_packages())
        .copied()
        .collect();
    let mut steps = Vec::new();
    if !packages.is_empty() {
        steps.push(Step::Apt(packages));
    }
    if missing.contains(&Need::Schemathesis) {
        steps.push(Step::Venv(host.venv.clone()));
    }
    let blocker = if !steps.iter().any(|s| matches!(s, Step::Apt(_))) {
        None // a venv needs no root
    } else if !host.is_debian_like() {
        Some("this is not Debian or Ubuntu, whose package names it knows")
    } else if host.find("apt-get").is_none() {
        Some("apt-get is not on PATH")
    } else if !host.is_root {
        Some("it is not running as root")
    } else {
        None
    };
    let action = match blocker {
        None => Action::Install(steps),
        Some(why) => Action::Manual {
            instructions: instructions(&missing, &steps, host, why),
            missing,
        },
    };
    Plan {
        action,
        schemathesis,
    }
}

/// The one block a user is shown when they must install things themselves:
/// every missing tool, then every command, in order.
fn instructions(missing: &[Need], steps: &[Step], host: &Host, why: &str) -> String {
    let debian = host.is_debian_like();
    let sudo = if host.is_root { "" } else { "sudo " };
    let mut text = String::from("The test suite needs what this machine lacks:\n");
    for need in missing {
        let _ = writeln!(text, "  - {}", need.what());
    }
    let _ = writeln!(
        text,
        "`cargo xtask test` cannot install these itself: {why}."
    );
    let mut commands: Vec<String> = Vec::new();
    for step in steps {
        match step {
            Step::Apt(_) if debian => commands.extend(
                step.commands()
                    .iter()
                    .map(|argv| format!("{sudo}{}", shell_line(argv))),
            ),
            Step::Apt(_) => {
                text.push_str(
                    "Install with the system's package manager: Chromium (or Google Chrome), \
                     xmllint (libxml2), a C compiler (gcc or clang), python3 with venv, as \
                     listed above.\n",
                );
            }
            Step::Venv(_) => commands.extend(step.commands().iter().map(|a| shell_line(a))),
        }
    }
    commands.push("cargo xtask test".into());
    let by_hand = !debian && steps.iter().any(|s| matches!(s, Step::Apt(_)));
    text.push_str(if by_hand { "Then run" } else { "Run" });
    text.push_str(", from the repository's folder:\n\n");
    for command in commands {
        let _ = writeln!(text, "    {command}");
    }
    text
}

/// `argv` as one line a shell reads back as the same words.
fn shell_line(argv: &[String]) -> String {
    argv.iter()
        .map(|word| {
            let plain = !word.is_empty()
                && word
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_./=:+@%,".contains(c));
            if plain {
                word.clone()
            } else {
                format!("'{}'", word.replace('\'', r"'\''"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Carries out `steps` on this machine, printing what it runs.
pub fn apply(steps: &[Step]) -> Result<(), String> {
    for step in steps {
        for argv in step.commands() {
            eprintln!("xtask: {}", shell_line(&argv));
            let mut command = Command::new(&argv[0]);
            if matches!(step, Step::Apt(_)) {
                // Another apt-get (a parallel build's set-up, unattended
                // upgrades after boot) holds the dpkg lock for minutes at
                // most: wait for it rather than fail at once. Not in the
                // printed commands: a person sees the error and retries.
                command.args(["-o", "DPkg::Lock::Timeout=600"]);
                command.env("DEBIAN_FRONTEND", "noninteractive");
            }
            command.args(&argv[1..]);
            // apt-get and pip narrate every package; their errors go to
            // stderr, which stays.
            command.stdout(Stdio::null());
            let status = command
                .status()
                .map_err(|e| format!("could not start `{}`: {e}", argv[0]))?;
            if !status.success() {
                return Err(format!("`{}` failed ({status})", shell_line(&argv)));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEBIAN: &str = "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\n";
    const UBUNTU: &str = "NAME=\"Ubuntu\"\nID=ubuntu\nID_LIKE=debian\n";
    const MINT: &str = "NAME=\"Linux Mint\"\nID=linuxmint\nID_LIKE=\"ubuntu debian\"\n";
    const FEDORA: &str = "NAME=\"Fedora Linux\"\nID=fedora\n";

    /// A fake machine: a PATH folder with the named fake executables, and an
    /// empty venv folder. Nothing here can reach the real apt-get or pip: the
    /// PATH is only the temporary folder, and planning never runs a step.
    struct Fake {
        dir: tempfile::TempDir,
        host: Host,
    }

    impl Fake {
        fn new(tools: &[&str], is_root: bool, os_release: Option<&str>) -> Fake {
            let dir = tempfile::tempdir().expect("tempdir");
            let bin = dir.path().join("bin");
            std::fs::create_dir(&bin).expect("bin");
            let fake = Fake {
                host: Host {
                    path: bin.clone().into_os_string(),
                    is_root,
                    os_release: os_release.map(str::to_string),
                    venv: dir.path().join("venv"),
                    schemathesis_override: None,
                },
                dir,
            };
            for tool in tools {
                fake.tool(tool, true);
            }
            fake
        }

        /// A fake executable that succeeds (`/bin/true`) or fails
        /// (`/bin/false`) whatever its arguments. A symlink, not a script
        /// written here: running a file just written can fail with ETXTBSY
        /// while another test thread forks.
        fn tool(&self, name: &str, succeeds: bool) {
            let target = if succeeds { "/bin/true" } else { "/bin/false" };
            std::os::unix::fs::symlink(target, self.dir.path().join("bin").join(name))
                .expect("symlink tool");
        }

        /// A venv as pip leaves it after installing `version`.
        fn provisioned_venv(&self, version: &str) {
            let venv = &self.host.venv;
            let site = venv.join("lib/python3.11/site-packages");
            std::fs::create_dir_all(site.join(format!("schemathesis-{version}.dist-info")))
                .expect("dist-info");
            std::fs::create_dir_all(venv.join("bin")).expect("venv bin");
            std::os::unix::fs::symlink("/bin/true", venv.join("bin/st")).expect("st");
        }
    }

    const ALL_TOOLS: [&str; 4] = ["chromium", "xmllint", "cc", "python3"];
    const SYSTEM_TOOLS: [&str; 4] = ["chromium", "xmllint", "cc", "apt-get"];

    fn venv_step(fake: &Fake) -> Step {
        Step::Venv(fake.host.venv.clone())
    }

    #[test]
    fn everything_present_means_nothing_to_install() {
        let fake = Fake::new(&ALL_TOOLS, false, Some(DEBIAN));
        fake.provisioned_venv(SCHEMATHESIS_VERSION);
        let plan = plan(&fake.host);
        assert_eq!(plan.action, Action::Nothing);
        assert_eq!(plan.schemathesis, fake.host.venv.join("bin/st"));
    }

    #[test]
    fn another_browser_name_counts_as_chromium() {
        let fake = Fake::new(&["google-chrome", "xmllint", "cc"], false, None);
        fake.provisioned_venv(SCHEMATHESIS_VERSION);
        assert_eq!(plan(&fake.host).action, Action::Nothing);
    }

    #[test]
    fn a_file_that_is_not_executable_is_not_a_tool() {
        let fake = Fake::new(&["xmllint", "cc"], false, None);
        fake.provisioned_venv(SCHEMATHESIS_VERSION);
        let chromium = fake.dir.path().join("bin/chromium");
        std::fs::write(&chromium, "").expect("write");
        assert_eq!(missing(&fake.host), [Need::Chromium]);
    }

    #[test]
    fn missing_chromium_as_root_on_debian_is_an_apt_plan() {
        let fake = Fake::new(&["xmllint", "cc", "apt-get"], true, Some(DEBIAN));
        fake.provisioned_venv(SCHEMATHESIS_VERSION);
        let plan = plan(&fake.host);
        assert_eq!(
            plan.action,
            Action::Install(vec![Step::Apt(vec!["chromium"])])
        );
        let Action::Install(steps) = plan.action else {
            unreachable!()
        };
        assert_eq!(
            steps[0].commands(),
            [
                vec!["apt-get", "update"],
                vec!["apt-get", "install", "-y", "chromium"]
            ]
        );
    }

    #[test]
    fn everything_missing_as_root_on_ubuntu_and_derivatives_is_one_apt_step_then_the_venv() {
        for os in [DEBIAN, UBUNTU, MINT] {
            let fake = Fake::new(&["apt-get"], true, Some(os));
            let plan = plan(&fake.host);
            assert_eq!(
                plan.action,
                Action::Install(vec![
                    Step::Apt(vec![
                        "chromium",
                        "libxml2-utils",
                        "build-essential",
                        "python3",
                        "python3-venv"
                    ]),
                    venv_step(&fake),
                ]),
                "{os}"
            );
        }
    }

    #[test]
    fn a_python_without_venv_gets_python3_venv() {
        let fake = Fake::new(&SYSTEM_TOOLS, true, Some(DEBIAN));
        fake.tool("python3", false); // `import ensurepip, venv` fails
        assert_eq!(
            plan(&fake.host).action,
            Action::Install(vec![Step::Apt(vec!["python3-venv"]), venv_step(&fake)])
        );
    }

    #[test]
    fn only_schemathesis_missing_makes_the_venv_even_without_root_or_debian() {
        for (is_root, os) in [(false, Some(DEBIAN)), (false, Some(FEDORA)), (false, None)] {
            let fake = Fake::new(&ALL_TOOLS, is_root, os);
            let plan = plan(&fake.host);
            assert_eq!(plan.action, Action::Install(vec![venv_step(&fake)]));
            let Action::Install(steps) = plan.action else {
                unreachable!()
            };
            let venv = fake.host.venv.display().to_string();
            assert_eq!(
                steps[0].commands(),
                [
                    vec![
                        "python3".to_string(),
                        "-m".into(),
                        "venv".into(),
                        venv.clone()
                    ],
                    vec![
                        format!("{venv}/bin/pip"),
                        "install".into(),
                        "schemathesis==4.32.5".into()
                    ],
                ]
            );
        }
    }

    #[test]
    fn a_provisioned_venv_means_no_pip() {
        let fake = Fake::new(&["xmllint", "cc", "apt-get"], true, Some(DEBIAN));
        fake.provisioned_venv(SCHEMATHESIS_VERSION);
        let plan = plan(&fake.host);
        let Action::Install(steps) = &plan.action else {
            panic!("{plan:?}")
        };
        assert!(
            !steps.iter().any(|s| matches!(s, Step::Venv(_))),
            "{steps:?}"
        );
        // No python3 on PATH is fine: the venv has its own.
        assert!(!missing(&fake.host).contains(&Need::Python));
    }

    #[test]
    fn a_venv_with_another_schemathesis_version_is_reinstalled() {
        let fake = Fake::new(&ALL_TOOLS, true, Some(DEBIAN));
        fake.provisioned_venv("3.0.0");
        assert_eq!(
            plan(&fake.host).action,
            Action::Install(vec![venv_step(&fake)])
        );
    }

    #[test]
    fn the_users_own_schemathesis_is_used_as_it_is() {
        let mut fake = Fake::new(&["chromium", "xmllint", "cc"], false, None);
        fake.host.schemathesis_override = Some("/opt/st/bin/st".into());
        let plan = plan(&fake.host);
        assert_eq!(plan.action, Action::Nothing);
        assert_eq!(plan.schemathesis, PathBuf::from("/opt/st/bin/st"));
    }

    #[test]
    fn not_root_on_debian_prints_every_missing_tool_and_the_exact_commands() {
        let fake = Fake::new(&["apt-get", "python3"], false, Some(DEBIAN));
        let plan = plan(&fake.host);
        let Action::Manual {
            missing,
            instructions,
        } = plan.action
        else {
            panic!("{:?}", plan.action)
        };
        assert_eq!(
            missing,
            [
                Need::Chromium,
                Need::Xmllint,
                Need::CCompiler,
                Need::Schemathesis
            ]
        );
        let venv = fake.host.venv.display().to_string();
        let expected = format!(
            "The test suite needs what this machine lacks:\n\
             \x20 - chromium: headless Chromium (the HTML report test)\n\
             \x20 - xmllint: libxml2's command-line tool (the JUnit schema test)\n\
             \x20 - cc: a C compiler (mimalloc, the allocator, is C)\n\
             \x20 - Schemathesis 4.32.5 (the fidelity test), in its own venv\n\
             `cargo xtask test` cannot install these itself: it is not running as root.\n\
             Run, from the repository's folder:\n\
             \n\
             \x20   sudo apt-get update\n\
             \x20   sudo apt-get install -y chromium libxml2-utils build-essential\n\
             \x20   python3 -m venv {venv}\n\
             \x20   {venv}/bin/pip install schemathesis==4.32.5\n\
             \x20   cargo xtask test\n"
        );
        assert_eq!(instructions, expected);
    }

    #[test]
    fn not_root_with_schemathesis_provisioned_prints_only_apt() {
        let fake = Fake::new(&["apt-get", "chromium", "cc"], false, Some(UBUNTU));
        fake.provisioned_venv(SCHEMATHESIS_VERSION);
        let Action::Manual { instructions, .. } = plan(&fake.host).action else {
            panic!("not root: manual")
        };
        let commands: Vec<&str> = instructions
            .lines()
            .filter_map(|l| l.strip_prefix("    "))
            .collect();
        assert_eq!(
            commands,
            [
                "sudo apt-get update",
                "sudo apt-get install -y libxml2-utils",
                "cargo xtask test"
            ]
        );
    }

    #[test]
    fn non_debian_gets_instructions_even_as_root() {
        for os in [Some(FEDORA), None] {
            let fake = Fake::new(&["apt-get", "python3", "cc"], true, os);
            let Action::Manual {
                missing,
                instructions,
            } = plan(&fake.host).action
            else {
                panic!("not Debian: manual")
            };
            assert_eq!(missing, [Need::Chromium, Need::Xmllint, Need::Schemathesis]);
            assert!(
                instructions.contains("not Debian or Ubuntu"),
                "{instructions}"
            );
            assert!(
                instructions.contains(
                    "Install with the system's package manager: Chromium (or Google Chrome), \
                     xmllint (libxml2), a C compiler (gcc or clang), python3 with venv, as \
                     listed above.\nThen run, from the repository's folder:\n"
                ),
                "{instructions}"
            );
            assert!(!instructions.contains("apt-get"), "{instructions}");
            for need in &missing {
                assert!(instructions.contains(&need.what()), "{instructions}");
            }
            assert!(
                instructions.contains(&format!(
                    "    {}/bin/pip install schemathesis==4.32.5\n",
                    fake.host.venv.display()
                )),
                "{instructions}"
            );
            assert!(
                instructions.ends_with("    cargo xtask test\n"),
                "{instructions}"
            );
        }
    }

    #[test]
    fn debian_as_root_without_apt_get_gets_instructions() {
        let fake = Fake::new(&["xmllint", "cc"], true, Some(DEBIAN));
        fake.provisioned_venv(SCHEMATHESIS_VERSION);
        let Action::Manual { instructions, .. } = plan(&fake.host).action else {
            panic!("no apt-get: manual")
        };
        assert!(
            instructions.contains("apt-get is not on PATH"),
            "{instructions}"
        );
        assert!(
            instructions.contains("    apt-get install -y chromium\n"),
            "{instructions}"
        );
    }

    #[test]
    fn shell_lines_quote_what_a_shell_would_split() {
        let argv = ["python3", "-m", "venv", "/tmp/my venv/it's"].map(String::from);
        assert_eq!(shell_line(&argv), r"python3 -m venv '/tmp/my venv/it'\''s'");
    }
}
