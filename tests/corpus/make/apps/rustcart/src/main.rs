//! A cart service on std's TcpListener that logs like an axum app with tower-http's TraceLayer
//! (`DefaultOnResponse::new().level(Level::INFO)`): one span per request, "finished processing
//! request" with latency and status, through tracing-subscriber's default formatter (ANSI colours
//! on, as it is by default, terminal or not). A handler that cannot reach the inventory answers 503
//! without logging anything else, as a handler returning `StatusCode::SERVICE_UNAVAILABLE` does.
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::{Duration, Instant};
use std::{env, thread};
use tracing::{info, info_span, warn};

fn inventory_available(port: u16, sku: u32) -> bool {
    // only stock checks (skus divisible by 3) call the inventory service
    if sku % 3 != 0 {
        return true;
    }
    TcpStream::connect_timeout(&([127, 0, 0, 1], port).into(), Duration::from_millis(1000)).is_ok()
}

fn handle(mut stream: TcpStream, inventory_port: u16) {
    let started = Instant::now();
    let mut reader = BufReader::new(stream.try_clone().expect("clone"));
    let mut first = String::new();
    if reader.read_line(&mut first).is_err() {
        return;
    }
    let mut length = 0usize;
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header).unwrap_or(0) == 0 || header == "\r\n" {
            break;
        }
        if let Some(v) = header.to_ascii_lowercase().strip_prefix("content-length:") {
            length = v.trim().parse().unwrap_or(0);
        }
    }
    let mut body = vec![0u8; length];
    let _ = reader.read_exact(&mut body);
    let mut parts = first.split_whitespace();
    let method = parts.next().unwrap_or("GET").to_string();
    let uri = parts.next().unwrap_or("/").to_string();
    let span = info_span!("request", method = %method, uri = %uri, version = "HTTP/1.1");
    let _enter = span.enter();
    let sku: u32 = uri.rsplit('/').next().and_then(|s| s.parse().ok()).unwrap_or(1);
    let (status, text) = if uri == "/healthz" {
        (200, "ok".to_string())
    } else if inventory_available(inventory_port, sku) {
        thread::sleep(Duration::from_millis(2 + (sku % 7) as u64));
        (200, format!("{{\"sku\":{},\"in_cart\":{}}}", sku, sku % 4))
    } else {
        (503, "inventory unavailable".to_string())
    };
    let reason = if status == 200 { "OK" } else { "Service Unavailable" };
    let _ = write!(
        stream,
        "HTTP/1.1 {} {}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{}",
        status, reason, text.len(), text
    );
    let latency = started.elapsed().as_millis();
    info!(latency = %format!("{} ms", latency), status = status, "finished processing request");
}

fn main() {
    tracing_subscriber::fmt::init();
    let port: u16 = env::args().nth(1).and_then(|p| p.parse().ok()).unwrap_or(8080);
    let inventory_port: u16 = env::var("INVENTORY_PORT").ok().and_then(|p| p.parse().ok()).unwrap_or(9090);
    let version = env::var("APP_VERSION").unwrap_or_else(|_| "1.8.0".into());
    let listener = TcpListener::bind(("127.0.0.1", port)).expect("bind");
    info!(version = %version, inventory_port = inventory_port, "cart service listening on 127.0.0.1:{}", port);
    if env::var("INVENTORY_PORT").is_err() {
        warn!("INVENTORY_PORT not set, using 9090");
    }
    for stream in listener.incoming().flatten() {
        thread::spawn(move || handle(stream, inventory_port));
    }
}
