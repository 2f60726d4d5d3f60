//! `opconform fuzz` and `opconform run` over real TLS: a loopback HTTPS
//! reference server with a certificate made for the test. The CA given with
//! `--ca-cert` is trusted, an unknown certificate is refused (nothing is
//! judged), and `--insecure` connects anyway.

use std::net::SocketAddr;
use std::path::Path;
use std::process::Output;
use std::sync::Arc;
use std::time::Duration;

use assert_cmd::Command;
use opconform::reference::{self, ReferenceConfig};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;

use crate::support::write;

/// Accepts TCP connections and completes the TLS handshake; connections
/// whose handshake fails (a client refusing the certificate) are dropped.
struct TlsListener {
    tcp: TcpListener,
    acceptor: TlsAcceptor,
}

impl axum::serve::Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            let Ok((tcp, addr)) = self.tcp.accept().await else {
                continue;
            };
            if let Ok(tls) = self.acceptor.accept(tcp).await {
                return (tls, addr);
            }
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        self.tcp.local_addr()
    }
}

/// The reference over HTTPS on 127.0.0.1; keeps its runtime.
struct TlsReference {
    _rt: tokio::runtime::Runtime,
    addr: SocketAddr,
    /// The server certificate (self-signed), PEM.
    cert_pem: String,
}

impl TlsReference {
    fn start() -> TlsReference {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        let made =
            rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_string()]).expect("certificate");
        let cert_pem = made.cert.pem();
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(made.signing_key.serialize_der()));
        let config = rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::aws_lc_rs::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .expect("protocols")
        .with_no_client_auth()
        .with_single_cert(vec![CertificateDer::from(made.cert.der().to_vec())], key)
        .expect("server config");
        let tcp = rt.block_on(TcpListener::bind("127.0.0.1:0")).expect("bind");
        let addr = tcp.local_addr().expect("addr");
        let listener = TlsListener {
            tcp,
            acceptor: TlsAcceptor::from(Arc::new(config)),
        };
        let router = reference::router(ReferenceConfig {
            step_length: Duration::from_millis(50),
            ..ReferenceConfig::default()
        });
        rt.spawn(async move { axum::serve(listener, router).await });
        TlsReference {
            _rt: rt,
            addr,
            cert_pem,
        }
    }

    fn base(&self) -> String {
        format!("https://{}/v1", self.addr)
    }

    fn fixtures(&self) -> String {
        format!("https://{}/__fixtures/operations", self.addr)
    }
}

fn opconform(dir: &Path, args: &[&str]) -> Output {
    Command::cargo_bin("opconform")
        .expect("binary")
        .current_dir(dir)
        .env("CI", "1")
        .env_remove("AKUA_TOKEN")
        .env_remove("AKUA_FOREIGN_TOKEN")
        .timeout(Duration::from_secs(120))
        .args(args)
        .output()
        .expect("runs")
}

fn summary(o: &Output) -> String {
    format!(
        "{}\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn fuzz_and_run_speak_tls_to_a_target_whose_ca_they_are_given() {
    let server = TlsReference::start();
    let dir = tempfile::tempdir().expect("tmp");
    let ca = write(dir.path(), "ca.pem", &server.cert_pem);
    let ca = ca.to_str().expect("utf-8 path");
    let (base, fixtures) = (server.base(), server.fixtures());
    let target = [
        "--target",
        base.as_str(),
        "--fixtures",
        fixtures.as_str(),
        "--token",
        reference::ALPHA_TOKEN,
        "--context",
        "ws_alpha",
    ];

    // Trusted through --ca-cert: the whole session runs over TLS.
    let mut args = vec!["fuzz", "--no-regressions", "--cases", "300", "--seed", "5"];
    args.extend(target);
    args.extend(["--ca-cert", ca]);
    let out = opconform(dir.path(), &args);
    let text = summary(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("fuzz: no counterexample"), "{text}");
    assert!(text.contains("300 inputs"), "{text}");

    // Stateful sequences too (fixtures created over TLS).
    let mut args = vec![
        "fuzz",
        "--no-regressions",
        "--stateful",
        "--cases",
        "10",
        "--seed",
        "5",
    ];
    args.extend(target);
    args.extend(["--ca-cert", ca]);
    let out = opconform(dir.path(), &args);
    assert_eq!(out.status.code(), Some(0), "{}", summary(&out));

    // The runner, with the same flag, on a few bundled cases.
    let mut args = vec!["run", "auth"];
    args.extend(target);
    args.extend(["--ca-cert", ca]);
    let out = opconform(dir.path(), &args);
    let text = summary(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    let passed: u32 = text
        .rsplit("test result: ok. ")
        .next()
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    assert!(passed > 0, "{text}");

    // Not trusted: the target cannot be reached, nothing is judged (exit 3,
    // not a contract failure), and the reason names the certificate.
    let mut args = vec!["fuzz", "--no-regressions", "--cases", "20"];
    args.extend(target);
    let out = opconform(dir.path(), &args);
    let text = summary(&out);
    assert_eq!(out.status.code(), Some(3), "{text}");
    assert!(text.to_lowercase().contains("certificate"), "{text}");

    // --insecure connects anyway (with its warning).
    let mut args = vec!["fuzz", "--no-regressions", "--cases", "50", "--insecure"];
    args.extend(target);
    let out = opconform(dir.path(), &args);
    let text = summary(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("fuzz: no counterexample"), "{text}");
}
