//! A tiny SMTP server for the e-mail tests: on 127.0.0.1, port 0, it speaks just enough
//! SMTP for lettre (greeting, EHLO, MAIL, RCPT, DATA, QUIT) and keeps each message.

use std::sync::{Arc, Mutex};

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

/// One message received: the envelope's recipients (RCPT lines) and the raw data.
pub type Received = (Vec<String>, String);

/// The sink: its port, and the messages (envelope recipients, raw data) received.
pub struct SmtpSink {
    pub port: u16,
    pub messages: Arc<Mutex<Vec<Received>>>,
}

impl SmtpSink {
    pub async fn start() -> SmtpSink {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let messages: Arc<Mutex<Vec<Received>>> = Arc::default();
        let kept = messages.clone();
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                let kept = kept.clone();
                tokio::spawn(async move {
                    let (read, mut write) = socket.into_split();
                    let mut lines = BufReader::new(read);
                    let _ = write.write_all(b"220 sink ESMTP\r\n").await;
                    let mut rcpt = Vec::new();
                    let mut line = String::new();
                    loop {
                        line.clear();
                        if lines.read_line(&mut line).await.unwrap_or(0) == 0 {
                            return;
                        }
                        let upper = line.to_ascii_uppercase();
                        let reply: &[u8] = if upper.starts_with("EHLO") || upper.starts_with("HELO") {
                            b"250 sink\r\n"
                        } else if upper.starts_with("RCPT") {
                            rcpt.push(line.trim().to_owned());
                            b"250 OK\r\n"
                        } else if upper.starts_with("DATA") {
                            let _ = write.write_all(b"354 go on\r\n").await;
                            let mut data = String::new();
                            while !data.ends_with("\r\n.\r\n") {
                                let mut l = String::new();
                                if lines.read_line(&mut l).await.unwrap_or(0) == 0 {
                                    return;
                                }
                                data.push_str(&l);
                            }
                            kept.lock().unwrap().push((std::mem::take(&mut rcpt), data));
                            b"250 kept\r\n"
                        } else if upper.starts_with("QUIT") {
                            let _ = write.write_all(b"221 bye\r\n").await;
                            return;
                        } else {
                            b"250 OK\r\n"
                        };
                        let _ = write.write_all(reply).await;
                    }
                });
            }
        });
        SmtpSink { port, messages }
    }
}

/// A message's header `name`, unfolded, with its RFC 2047 encoded words (`=?utf-8?b?…?=`,
/// `=?utf-8?q?…?=`) decoded — what a mail reader shows.
pub fn header(data: &str, name: &str) -> Option<String> {
    let head = data.split("\r\n\r\n").next().unwrap_or_default();
    let unfolded = head.replace("\r\n ", " ").replace("\r\n\t", " ");
    let raw = unfolded
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{name}:")))?
        .trim()
        .to_owned();
    let mut out = String::new();
    let mut bytes = Vec::new();
    for word in raw.split(' ') {
        let encoded = word
            .strip_prefix("=?")
            .and_then(|w| w.strip_suffix("?="))
            .and_then(|w| {
                let mut parts = w.splitn(3, '?');
                let (_charset, how, text) = (parts.next()?, parts.next()?, parts.next()?);
                match how.to_ascii_lowercase().as_str() {
                    "b" => Some(base64(text)),
                    "q" => Some(quoted_printable(&text.replace('_', " "))),
                    _ => None,
                }
            });
        match encoded {
            // Adjacent encoded words join with no space between them (RFC 2047 §6.2).
            Some(decoded) => {
                // A space before the first of a run, after plain text, is kept.
                if bytes.is_empty() && !out.is_empty() {
                    out.push(' ');
                }
                bytes.extend(decoded);
            }
            None => {
                if !bytes.is_empty() {
                    out.push_str(&String::from_utf8_lossy(&std::mem::take(&mut bytes)));
                }
                if !out.is_empty() {
                    out.push(' ');
                }
                out.push_str(word);
            }
        }
    }
    out.push_str(&String::from_utf8_lossy(&bytes));
    Some(out)
}

/// A single-part message's body, decoded by its Content-Transfer-Encoding.
pub fn body(data: &str) -> String {
    let (_, raw) = data.split_once("\r\n\r\n").unwrap_or_default();
    let raw = raw.strip_suffix("\r\n.\r\n").unwrap_or(raw);
    let encoding = header(data, "Content-Transfer-Encoding")
        .unwrap_or_default()
        .to_ascii_lowercase();
    let bytes = match encoding.as_str() {
        "base64" => base64(&raw.replace("\r\n", "")),
        "quoted-printable" => quoted_printable(&raw.replace("=\r\n", "")),
        _ => raw.as_bytes().to_vec(),
    };
    String::from_utf8(bytes).expect("the body is UTF-8")
}

fn base64(text: &str) -> Vec<u8> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = Vec::new();
    let (mut acc, mut bits) = (0u32, 0);
    for c in text.bytes().filter(|&c| c != b'=' && !c.is_ascii_whitespace()) {
        let v = ALPHABET.iter().position(|&a| a == c).expect("a base64 character") as u32;
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    out
}

fn quoted_printable(text: &str) -> Vec<u8> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'=' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
            if let Ok(b) = u8::from_str_radix(hex, 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    out
}

#[test]
fn encoded_headers_and_bodies_decode_as_a_mail_reader_shows_them() {
    let data = "Subject: Lời =?utf-8?b?W1RoaSDEkXVhXQ==?=\r\n =?utf-8?b?IELDoW8gY8Ohbw==?= hay\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nK=C3=ADnh g=\r\n=E1=BB=ADi\r\n.\r\n";
    assert_eq!(header(data, "Subject").as_deref(), Some("Lời [Thi đua] Báo cáo hay"));
    assert_eq!(body(data), "Kính gửi");
}
