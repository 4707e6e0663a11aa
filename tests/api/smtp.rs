//! A small SMTP server on loopback that records what it receives: enough of
//! RFC 5321 for lettre (greeting, EHLO/HELO, AUTH PLAIN/LOGIN accepted, MAIL,
//! RCPT, DATA with dot-unstuffing, RSET, NOOP, QUIT). It can be told to refuse
//! mail with a 451 (a temporary failure) to test retries.

use std::{
    net::SocketAddr,
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, Ordering},
    },
};

use base64::Engine;
use tokio::{
    io::{AsyncBufReadExt, AsyncWriteExt, BufReader},
    net::{TcpListener, TcpStream},
};

/// One message as received.
#[derive(Clone, Debug)]
pub struct Mail {
    pub from: String,
    pub to: Vec<String>,
    /// Headers and body as sent after DATA.
    pub data: String,
}

/// A running sink.
#[derive(Clone)]
pub struct Sink {
    pub addr: SocketAddr,
    mails: Arc<Mutex<Vec<Mail>>>,
    refuse: Arc<AtomicBool>,
}

impl Sink {
    /// Starts a sink on a free loopback port; it runs until the test ends.
    pub async fn start() -> Sink {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let sink = Sink {
            addr: listener.local_addr().unwrap(),
            mails: Arc::default(),
            refuse: Arc::default(),
        };
        let s = sink.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let s = s.clone();
                tokio::spawn(async move {
                    let _ = s.session(stream).await;
                });
            }
        });
        sink
    }

    /// Refuse (451) or accept mail from now on.
    pub fn refuse(&self, refuse: bool) {
        self.refuse.store(refuse, Ordering::SeqCst);
    }

    /// The messages received so far.
    pub fn mails(&self) -> Vec<Mail> {
        self.mails.lock().unwrap().clone()
    }

    async fn session(&self, stream: TcpStream) -> std::io::Result<()> {
        let (read, mut write) = stream.into_split();
        let mut lines = BufReader::new(read);
        write
            .write_all(b"220 sink.test ESMTP test sink\r\n")
            .await?;
        let mut from = String::new();
        let mut to = Vec::new();
        let mut line = String::new();
        loop {
            line.clear();
            if lines.read_line(&mut line).await? == 0 {
                return Ok(());
            }
            let cmd = line.trim_end().to_string();
            let upper = cmd.to_ascii_uppercase();
            let reply: &[u8] = if upper.starts_with("EHLO") {
                b"250-sink.test\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250 AUTH PLAIN LOGIN\r\n"
            } else if upper.starts_with("HELO") {
                b"250 sink.test\r\n"
            } else if upper.starts_with("AUTH") {
                b"235 2.7.0 accepted\r\n"
            } else if upper.starts_with("MAIL FROM:") {
                if self.refuse.load(Ordering::SeqCst) {
                    b"451 4.3.0 try again later\r\n"
                } else {
                    from = cmd[10..].trim().trim_matches(['<', '>']).to_string();
                    from = from
                        .split_whitespace()
                        .next()
                        .unwrap_or("")
                        .trim_end_matches('>')
                        .to_string();
                    to.clear();
                    b"250 2.1.0 ok\r\n"
                }
            } else if upper.starts_with("RCPT TO:") {
                let addr = cmd[8..].trim();
                to.push(
                    addr.trim_start_matches('<')
                        .split('>')
                        .next()
                        .unwrap_or("")
                        .to_string(),
                );
                b"250 2.1.5 ok\r\n"
            } else if upper == "DATA" {
                write.write_all(b"354 end with .\r\n").await?;
                let mut data = String::new();
                loop {
                    line.clear();
                    if lines.read_line(&mut line).await? == 0 {
                        return Ok(());
                    }
                    if line == ".\r\n" || line == ".\n" {
                        break;
                    }
                    let l = line.strip_prefix('.').unwrap_or(&line);
                    data.push_str(l);
                }
                self.mails.lock().unwrap().push(Mail {
                    from: from.clone(),
                    to: std::mem::take(&mut to),
                    data,
                });
                b"250 2.0.0 queued\r\n"
            } else if upper == "QUIT" {
                write.write_all(b"221 2.0.0 bye\r\n").await?;
                return Ok(());
            } else if upper == "RSET" || upper == "NOOP" {
                b"250 2.0.0 ok\r\n"
            } else {
                b"502 5.5.2 not implemented\r\n"
            };
            write.write_all(reply).await?;
        }
    }
}

impl Mail {
    /// The headers, unfolded, and the body, split at the first empty line.
    fn parts(&self) -> (String, String) {
        let data = self.data.replace("\r\n", "\n");
        let (head, body) = data.split_once("\n\n").unwrap_or((&data, ""));
        (
            head.replace("\n ", " ").replace("\n\t", " "),
            body.to_string(),
        )
    }

    /// A header's raw value.
    pub fn header(&self, name: &str) -> Option<String> {
        let (head, _) = self.parts();
        head.lines().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case(name).then(|| v.trim().to_string())
        })
    }

    /// The subject with RFC 2047 encoded words decoded.
    pub fn subject(&self) -> String {
        decode_words(&self.header("Subject").unwrap_or_default())
    }

    /// The body, decoded from base64 when so encoded.
    pub fn body(&self) -> String {
        let (_, body) = self.parts();
        let b64 = self
            .header("Content-Transfer-Encoding")
            .is_some_and(|v| v.eq_ignore_ascii_case("base64"));
        if b64 {
            let joined: String = body.split_whitespace().collect();
            String::from_utf8(
                base64::engine::general_purpose::STANDARD
                    .decode(joined)
                    .unwrap(),
            )
            .unwrap()
        } else {
            body
        }
    }
}

/// Decodes `=?utf-8?b?…?=` and `=?utf-8?q?…?=` words; whitespace between two
/// encoded words is dropped, as RFC 2047 says.
fn decode_words(s: &str) -> String {
    let mut bytes = Vec::new();
    let mut out = String::new();
    let mut prev_plain = false;
    for token in s.split_whitespace() {
        let lower = token.to_ascii_lowercase();
        if lower.starts_with("=?utf-8?") && token.ends_with("?=") && token.len() > 12 {
            if prev_plain {
                out.push(' ');
            }
            let enc = lower.as_bytes()[8];
            let text = &token[10..token.len() - 2];
            if enc == b'b' {
                bytes.extend(
                    base64::engine::general_purpose::STANDARD
                        .decode(text)
                        .unwrap(),
                );
            } else {
                let t = text.replace('_', " ");
                let mut it = t.bytes();
                while let Some(b) = it.next() {
                    if b == b'=' {
                        let h: String = [it.next().unwrap() as char, it.next().unwrap() as char]
                            .iter()
                            .collect();
                        bytes.push(u8::from_str_radix(&h, 16).unwrap());
                    } else {
                        bytes.push(b);
                    }
                }
            }
            prev_plain = false;
        } else {
            if !bytes.is_empty() {
                out.push_str(&String::from_utf8(std::mem::take(&mut bytes)).unwrap());
            }
            if !out.is_empty() {
                out.push(' ');
            }
            out.push_str(token);
            prev_plain = true;
        }
    }
    if !bytes.is_empty() {
        out.push_str(&String::from_utf8(bytes).unwrap());
    }
    out
}
