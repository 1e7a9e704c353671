//! A real `redis-server` per test, on a free port, killed when dropped.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The `redis-server` to run: on the PATH or Debian's, installed with
/// apt-get when missing and possible; `None` (the test is skipped, saying
/// why) only when it cannot be found nor installed.
pub fn redis_server_binary() -> Option<PathBuf> {
    let find = || {
        ["/usr/bin/redis-server", "/usr/local/bin/redis-server"].iter().map(PathBuf::from).find(|path| path.exists()).or_else(|| {
            let output = Command::new("sh").args(["-c", "command -v redis-server"]).output().ok()?;
            let path = String::from_utf8(output.stdout).ok()?.trim().to_owned();
            (!path.is_empty()).then(|| PathBuf::from(path))
        })
    };
    if let Some(path) = find() {
        return Some(path);
    }
    eprintln!("redis-server not found: installing it with apt-get");
    let _ = Command::new("apt-get").args(["install", "-y", "-q", "redis-server"]).env("DEBIAN_FRONTEND", "noninteractive").status();
    let found = find();
    if found.is_none() {
        eprintln!("SKIPPED: redis-server is not installed and apt-get could not install it (apt-get install redis-server)");
    }
    found
}

pub struct RedisServer {
    binary: PathBuf,
    pub port: u16,
    password: Option<String>,
    child: Option<Child>,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

impl RedisServer {
    /// A server without persistence, or `None` when redis-server is unavailable.
    pub fn start() -> Option<Self> {
        Self::start_with_password(None)
    }

    pub fn start_with_password(password: Option<&str>) -> Option<Self> {
        let binary = redis_server_binary()?;
        let mut server = RedisServer { binary, port: free_port(), password: password.map(str::to_owned), child: None };
        server.launch();
        Some(server)
    }

    fn launch(&mut self) {
        let mut command = Command::new(&self.binary);
        command
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        if let Some(password) = &self.password {
            command.args(["--requirepass", password]);
        }
        self.child = Some(command.spawn().expect("redis-server starts"));
        let deadline = Instant::now() + Duration::from_secs(10);
        while !self.answers() {
            assert!(Instant::now() < deadline, "redis-server did not answer on port {}", self.port);
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn answers(&self) -> bool {
        let Ok(mut stream) = TcpStream::connect(("127.0.0.1", self.port)) else { return false };
        let _ = stream.set_read_timeout(Some(Duration::from_secs(1)));
        if stream.write_all(b"PING\r\n").is_err() {
            return false;
        }
        let mut answer = [0; 64];
        matches!(stream.read(&mut answer), Ok(n) if n > 0 && (answer.starts_with(b"+PONG") || answer.starts_with(b"-NOAUTH")))
    }

    pub fn url(&self) -> String {
        match &self.password {
            Some(password) => format!("redis://:{password}@127.0.0.1:{}/0", self.port),
            None => format!("redis://127.0.0.1:{}/0", self.port),
        }
    }

    /// Kills the server (SIGKILL: no goodbye to its clients).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts it again on the same port, empty.
    pub fn restart(&mut self) {
        self.stop();
        self.launch();
    }

    /// A connection for the test's own look at the shared state.
    pub async fn connection(&self) -> redis::aio::MultiplexedConnection {
        redis::Client::open(self.url()).unwrap().get_multiplexed_async_connection().await.unwrap()
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Starts a Redis, or returns from the test saying why it is skipped.
#[macro_export]
macro_rules! redis_or_skip {
    () => {
        match fleet_support::RedisServer::start() {
            Some(server) => server,
            None => return,
        }
    };
}

pub const WEBHOOK_SECRET: &str = "whsec_fleet_test_0a9c7d";

/// A CHECK_COMPLETED delivery for `check_id`, as PassFort sends it.
pub fn check_completed(event_id: &str, profile_id: &str, check_id: &str) -> Vec<u8> {
    serde_json::json!({
        "id": event_id,
        "event": "CHECK_COMPLETED",
        "secret": WEBHOOK_SECRET,
        "timestamp": chrono_now(),
        "data": { "profile_id": profile_id, "check": { "id": check_id, "check_type": "IDENTITY_CHECK", "result": "Pass" } },
    })
    .to_string()
    .into_bytes()
}

pub fn bearer() -> [(&'static str, String); 1] {
    [("Authorization", format!("Bearer {WEBHOOK_SECRET}"))]
}

fn chrono_now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64
}

/// Polls `condition` until it holds, by a deadline.
pub async fn until(what: &str, timeout: Duration, mut condition: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !condition() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}
