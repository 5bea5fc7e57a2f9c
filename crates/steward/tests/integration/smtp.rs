//! A local SMTP sink for the reminder tests: accepts every message and keeps it
//! (envelope recipients first, then the data) for the test to read.

use std::sync::Arc;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;
use tokio::sync::Mutex;

pub struct Sink {
    pub port: u16,
    messages: Arc<Mutex<Vec<String>>>,
}

impl Sink {
    pub async fn start() -> Sink {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let messages = Arc::new(Mutex::new(Vec::new()));
        let store = messages.clone();
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                let store = store.clone();
                tokio::spawn(async move {
                    let (read, mut write) = socket.into_split();
                    let mut lines = BufReader::new(read).lines();
                    let _ = write.write_all(b"220 sink ESMTP\r\n").await;
                    let mut current = String::new();
                    let mut in_data = false;
                    while let Ok(Some(line)) = lines.next_line().await {
                        if in_data {
                            if line == "." {
                                in_data = false;
                                store.lock().await.push(std::mem::take(&mut current));
                                let _ = write.write_all(b"250 OK queued\r\n").await;
                            } else {
                                current.push_str(&line);
                                current.push('\n');
                            }
                            continue;
                        }
                        let verb = line
                            .split_whitespace()
                            .next()
                            .unwrap_or("")
                            .to_ascii_uppercase();
                        let reply: &[u8] = match verb.as_str() {
                            "EHLO" | "HELO" => b"250 sink\r\n",
                            "RCPT" => {
                                current.push_str(&line);
                                current.push('\n');
                                b"250 OK\r\n"
                            }
                            "DATA" => {
                                in_data = true;
                                b"354 go ahead\r\n"
                            }
                            "QUIT" => {
                                let _ = write.write_all(b"221 bye\r\n").await;
                                break;
                            }
                            _ => b"250 OK\r\n",
                        };
                        let _ = write.write_all(reply).await;
                    }
                });
            }
        });
        Sink { port, messages }
    }

    pub async fn messages(&self) -> Vec<String> {
        self.messages.lock().await.clone()
    }
}

/// A test server whose e-mail goes to `sink`.
pub fn mailing_to(sink: &Sink) -> crate::common::Options {
    crate::common::Options {
        smtp: Some(steward_core::SmtpConfig {
            host: "127.0.0.1".into(),
            port: sink.port,
            security: "none".into(),
            username: None,
            password: None,
            from: "steward@demo.steward.test".into(),
        }),
        ..crate::common::Options::default()
    }
}
