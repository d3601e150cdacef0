//! The procedure guide over a 2,000-procedure catalogue: time to build the index (once per
//! catalogue version and warm instance) and time per question. `cargo bench -p motcua-domain
//! --bench guide`.
//!
//! The catalogue is the sample of real procedures (`infra/tenants/procedures-tuyen-quang.json`) and
//! generated procedures up to 2,000: each takes a real one and swaps words of its name for words
//! of other names, so that the vocabulary and the word frequencies grow as in a province's list.

use std::hint::black_box;
use std::time::Instant;

use chrono::DateTime;
use motcua_domain::guide::Guide;
use motcua_domain::procedure::{Format, ProcedureCatalogue};

const SIZE: usize = 2_000;

fn main() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../infra/tenants/procedures-tuyen-quang.json"
    );
    let text = std::fs::read_to_string(path).expect("sample catalogue");
    let at = DateTime::from_timestamp(1_790_000_000, 0).unwrap();
    let mut catalogue = ProcedureCatalogue::import(&text, Format::Json, "sample", at).unwrap();
    let real = catalogue.procedures.clone();
    let words: Vec<String> = real
        .iter()
        .flat_map(|p| {
            p.name
                .split_whitespace()
                .map(str::to_string)
                .collect::<Vec<_>>()
        })
        .collect();
    // a fixed linear congruential sequence: the same catalogue on every run
    let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = move |n: usize| {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (seed >> 33) as usize % n
    };
    while catalogue.procedures.len() < SIZE {
        let i = catalogue.procedures.len();
        let mut p = real[next(real.len())].clone();
        let mut name: Vec<String> = p.name.split_whitespace().map(str::to_string).collect();
        for _ in 0..3 {
            let at = next(name.len());
            name[at] = words[next(words.len())].clone();
        }
        p.name = name.join(" ");
        p.code = format!("9.{i:06}");
        catalogue.procedures.push(p);
    }

    let start = Instant::now();
    let guide = Guide::new(catalogue.clone());
    println!(
        "index of {} procedures built in {:.1} ms",
        catalogue.procedures.len(),
        start.elapsed().as_secs_f64() * 1e3
    );
    let questions = [
        "thủ tục đăng ký khai sinh",
        "lam giay phep xay dung can gi",
        "cho em hỏi đăng ký kết hôn cần những giấy tờ gì ạ",
        "chung thuc ban sao giay to mat bao nhieu tien",
        "đăng ký hộ kinh doanh cần chuẩn bị gì",
        "dang ky khaisinh cho con",
        "hồ sơ của tôi sao chậm thế",
        "xin chào",
    ];
    for q in &questions {
        black_box(guide.search(q)); // warm
    }
    let rounds = 2_000;
    let mut all = Vec::new();
    for q in &questions {
        let start = Instant::now();
        for _ in 0..rounds {
            black_box(guide.search(black_box(q)));
        }
        let us = start.elapsed().as_secs_f64() * 1e6 / rounds as f64;
        all.push(us);
        println!("search {us:>8.1} µs/question  {q:?}");
    }
    all.sort_by(f64::total_cmp);
    println!(
        "over {} questions: median {:.1} µs, worst {:.1} µs",
        all.len(),
        all[all.len() / 2],
        all[all.len() - 1]
    );
}
