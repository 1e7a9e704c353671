//! The built-in listener out of file descriptors: `accept` fails with EMFILE
//! while the connection stays queued, so an accept loop that retries at once
//! spins and logs without end. Its own test binary, because it lowers the
//! process's RLIMIT_NOFILE and uses up every descriptor.

mod listener_support;

use std::fs::File;

use listener_support::*;
use passfort_core::ListenerOptions;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpSocket;
use tracing::Level;

fn nofile_limit() -> libc::rlimit {
    let mut limit = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    assert_eq!(unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) }, 0);
    limit
}

fn set_nofile_limit(limit: libc::rlimit) {
    assert_eq!(unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &limit) }, 0, "{}", std::io::Error::last_os_error());
}

/// Opens files until the process has no descriptor left; dropping them frees them.
fn use_up_descriptors() -> Vec<File> {
    let mut files = Vec::new();
    loop {
        match File::open("/dev/null") {
            Ok(file) => files.push(file),
            Err(error) if error.raw_os_error() == Some(libc::EMFILE) => return files,
            Err(error) => panic!("opening /dev/null: {error}"),
        }
    }
}

#[tokio::test]
async fn out_of_descriptors_the_accept_loop_backs_off_logs_once_and_recovers() {
    let logs = LogRecorder::global();
    let (_client, listener) = listen(&ListenerOptions::default()).await;
    let address = listener.address();
    // The client's socket exists before the descriptors run out; connecting needs none.
    let socket = TcpSocket::new_v4().unwrap();

    let original = nofile_limit();
    let in_use = std::fs::read_dir("/proc/self/fd").map(|fds| fds.count() as u64).unwrap_or(64);
    set_nofile_limit(libc::rlimit { rlim_cur: (in_use + 64).min(original.rlim_max), rlim_max: original.rlim_max });
    let files = use_up_descriptors();

    let mut stream = socket.connect(address).await.expect("connecting needs no descriptor");
    stream.write_all(&valid_request("evt-after-emfile")).await.unwrap();
    // The server now fails to accept it, again and again: wait for several failures in a row.
    eventually("five failed accepts", || logs.count(address, Level::DEBUG, "accept failed") >= 5).await;
    let failures = logs.count(address, Level::DEBUG, "accept failed");
    // Retrying at once would have failed thousands of times by the first poll that saw five.
    assert!(failures < 100, "backing off, not spinning: {failures} failures");
    assert_eq!(logs.count(address, Level::WARN, "accepting connections fails"), 1, "one warn line for {failures} failures");

    drop(files);
    set_nofile_limit(original);
    let (status, response) = read_to_close(&mut stream).await;
    assert_eq!(status, 200, "served once descriptors are free: {response}");
    assert_eq!(logs.count(address, Level::INFO, "accepting connections again"), 1);
    assert_eq!(logs.count(address, Level::WARN, "accepting connections fails"), 1);
}
