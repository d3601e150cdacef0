//! The retention purge on the embedded store: `DOSSIERS` closed dossiers past their retention
//! (each with three timeline entries and a phone) beside `KEEP` open ones, purged in the
//! daily job's batches, then the file compacted. Prints the load time, the purge time and
//! rate, the file size after the load, after the purge and after compaction.
//!
//! `cargo bench -p motcua-embedded --bench purge` (`DOSSIERS`, default 100000; `KEEP`, 10000)

use std::time::Instant;

use motcua_app::contract::{dossier, entry, protected, t, tenant};
use motcua_app::{DossierStore, RetentionStore};
use motcua_domain::NationalStatus;
use motcua_embedded::EmbeddedDb;

fn count(var: &str, default: usize) -> usize {
    std::env::var(var)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
}

#[tokio::main]
async fn main() {
    let (closed, keep) = (count("DOSSIERS", 100_000), count("KEEP", 10_000));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("motcua.redb");
    let size = || std::fs::metadata(&path).unwrap().len();
    {
        let db = EmbeddedDb::open(&path)
            .unwrap()
            .seal_at_rest(&[9; motcua_embedded::seal::KEY_LEN]);
        let store = db.store();
        let began = Instant::now();
        for i in 0..closed + keep {
            // codes of 2024 (old, closed) and 2026 (open)
            let year = if i < closed { "24" } else { "26" };
            let code = format!("000.00.04.H60-{year}0110-{:06}", i % 1_000_000);
            let mut d = dossier("tq", &code, 1);
            d.applicant_phone = Some(protected(&format!("p{i}")));
            if i < closed {
                d.status = NationalStatus::Returned;
                d.returned_at = Some(t("2024-03-01T03:00:00Z"));
                d.updated_at = t("2024-03-01T03:00:00Z");
            }
            store.upsert_dossier_if_newer(&d).await.unwrap();
            for (n, kind) in ["received", "step", "returned"].iter().enumerate() {
                let e = entry(&format!("e{n}"), kind, "2024-01-10T02:00:00Z", 1);
                store
                    .add_timeline_entry(&d.tenant, &d.code, &e)
                    .await
                    .unwrap();
            }
        }
        let loaded = size();
        println!(
            "loaded {} dossiers ({closed} closed, {keep} open), 3 timeline entries each, in {:.1} s: file {}",
            closed + keep,
            began.elapsed().as_secs_f64(),
            mib(loaded)
        );
        let cutoff = t("2026-11-20T00:00:00Z") - chrono::Duration::days(365);
        let began = Instant::now();
        let mut purged = 0;
        loop {
            let n = store
                .purge_closed_dossiers(&tenant("tq"), cutoff, 100)
                .await
                .unwrap();
            purged += n;
            if n < 100 {
                break;
            }
        }
        let took = began.elapsed().as_secs_f64();
        assert_eq!(purged, closed);
        println!(
            "purged {purged} closed dossiers in batches of 100: {took:.2} s ({:.0} dossiers/s); file {}",
            purged as f64 / took,
            mib(size())
        );
    }
    let began = Instant::now();
    let (before, after) = EmbeddedDb::compact_file(&path).unwrap();
    println!(
        "compacted in {:.2} s: {} -> {}",
        began.elapsed().as_secs_f64(),
        mib(before),
        mib(after)
    );
}
