//! Receipt-code extraction from chat messages: ns per message. `cargo bench -p motcua-domain`.

use std::hint::black_box;
use std::time::Instant;

use motcua_domain::DossierCode;

fn main() {
    let messages = [
        "TTHC 000.00.04.H60-230215-0028",
        "Cho em hỏi hồ sơ mã 000 . 00 . 04 . h60 – 230215 – 0028 của em đến đâu rồi ạ?",
        "https://dvc.example.vn/tra-cuu?MHS=000.00.04.H60-230215-0028",
        "Xin chào, tôi muốn hỏi về thủ tục cấp giấy phép xây dựng nhà ở riêng lẻ ạ. Cảm ơn!",
        "G22.99.08-260921-896048",
    ];
    for m in &messages {
        let _ = DossierCode::extract(m); // warm the lazily compiled regexes
    }
    let rounds = 50_000;
    for m in &messages {
        let start = Instant::now();
        for _ in 0..rounds {
            black_box(DossierCode::extract(black_box(m)).is_ok());
        }
        let ns = start.elapsed().as_nanos() as f64 / rounds as f64;
        println!("extract {:>7.0} ns/message  {:?}", ns, truncate(m));
    }
}

fn truncate(s: &str) -> String {
    s.chars().take(48).collect()
}
