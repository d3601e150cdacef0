//! QR generation time for a receipt link: `cargo bench -p qr`.

use std::hint::black_box;
use std::time::Instant;

fn main() {
    let url =
        "https://dichvucong.tuyenquang.gov.vn/tra-cuu/000.00.04.H60-261110-0028?k=z-BHEld_fT-IqZXE";
    let options = qr::Options::default();
    for (label, rounds) in [("svg", 2000u32), ("png", 500)] {
        let start = Instant::now();
        let mut bytes = 0;
        for _ in 0..rounds {
            bytes = match label {
                "svg" => black_box(qr::svg(black_box(url), options).unwrap()).len(),
                _ => black_box(qr::png(black_box(url), options).unwrap()).len(),
            };
        }
        let per = start.elapsed() / rounds;
        println!(
            "qr {label}: {:.1} µs per code ({bytes} bytes, size 10, margin 4, ec M)",
            per.as_nanos() as f64 / 1000.0
        );
    }
}
