//! `motcua-ops citizen erase`, the real binary on a local deployment: a request received on
//! paper erases every Zalo account of the phone and what they wrote, stops every notice to the
//! phone, and says so in the audit trail, without naming whom. `motcua-ops store purge`
//! applies the tenants' retention and compacts the file. `motcua-ops catalogue` imports the
//! procedure guide's catalogue.

use std::process::Command;

use chrono::{DateTime, Utc};
use motcua_app::Store;
use motcua_domain::ticket::{Author, NewTicket, TicketCategory, TicketMessage};
use motcua_domain::{PhoneNumber, TenantId};

fn ops(dir: &std::path::Path, args: &[&str]) -> (bool, String) {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let out = Command::new(env!("CARGO_BIN_EXE_motcua-ops"))
        .current_dir(root)
        .args(["--data-dir", dir.to_str().unwrap()])
        .args(args)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

fn open(dir: &std::path::Path) -> (motcua_config::Deployment, std::sync::Arc<dyn Store>) {
    let tenants =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../infra/local/tenants.toml");
    let d = motcua_config::Deployment::from_files(&tenants, &dir.join("secrets.json")).unwrap();
    // sealed at rest as the local server keeps it
    let key = motcua_embedded::seal::load_or_create_key(&dir.join("queue.key")).unwrap();
    let db = motcua_embedded::EmbeddedDb::open(dir.join("motcua.redb"))
        .unwrap()
        .seal_at_rest(&key);
    (d, std::sync::Arc::new(db.store()))
}

#[tokio::test]
async fn a_paper_request_erases_every_account_of_the_phone_and_stops_its_notices() {
    let dir = tempfile::tempdir().unwrap();
    let tq = TenantId::parse("tuyen-quang").unwrap();
    let at: DateTime<Utc> = "2026-11-20T03:00:00Z".parse().unwrap();
    let hash = {
        let (d, store) = open(dir.path());
        let keys = d.tenancy.keys(&tq).unwrap();
        let phone = keys.protect_phone(&PhoneNumber::parse("0906591985").unwrap());
        for user in ["old-account", "new-account"] {
            store.link_phone(&tq, user, &phone, at).await.unwrap();
        }
        let other = keys.protect_phone(&PhoneNumber::parse("0912345678").unwrap());
        store
            .link_phone(&tq, "neighbour", &other, at)
            .await
            .unwrap();
        let ticket = store
            .open_ticket(&NewTicket {
                tenant: tq.clone(),
                user_id: "new-account".into(),
                category: TicketCategory::Question,
                agency: None,
                opened_at: at,
                due_at: at + chrono::Duration::hours(24),
            })
            .await
            .unwrap();
        let message = TicketMessage {
            message_id: "m1".into(),
            at,
            author: Author::Citizen,
            text: Some("Tôi là Nguyễn Thị Thanh Mẫn, hồ sơ của tôi bị chậm".into()),
            attachments: Vec::new(),
            delivery: None,
            delivered_in_chat_at: None,
        };
        store
            .add_ticket_message(&tq, ticket.number, &message)
            .await
            .unwrap();
        phone.hash
    }; // the store is closed: the CLI needs the file to itself

    let (ok, out) = ops(
        dir.path(),
        &[
            "citizen",
            "erase",
            "--tenant",
            "tuyen-quang",
            "--phone",
            "090 659 1985",
            "--operator",
            "nv.mot-cua",
        ],
    );
    assert!(ok, "{out}");
    assert!(
        out.contains("erased 2 Zalo account(s) and 1 ticket message(s)"),
        "{out}"
    );
    assert!(
        out.contains("ending 985") && !out.contains("0906591985"),
        "{out}"
    );

    let (_, store) = open(dir.path());
    for user in ["old-account", "new-account"] {
        assert_eq!(
            store.get_zalo_user(&tq, user).await.unwrap(),
            None,
            "{user}"
        );
    }
    assert!(
        store
            .get_zalo_user(&tq, "neighbour")
            .await
            .unwrap()
            .is_some(),
        "only that phone"
    );
    assert!(store.phone_suppressed(&tq, &hash).await.unwrap());
    let (_, messages) = store.get_ticket(&tq, 1).await.unwrap().unwrap();
    assert_eq!(messages[0].text, None);
    // the CLI dates the entry by the machine's clock: today, or yesterday if midnight passed
    let today = motcua_domain::time::to_vn(chrono::Utc::now()).date_naive();
    let mut audit = store.audit_entries(&tq, today, 10).await.unwrap();
    audit.extend(
        store
            .audit_entries(&tq, today.pred_opt().unwrap(), 10)
            .await
            .unwrap(),
    );
    let entry = audit
        .iter()
        .find(|a| a.action == "citizen.erasure")
        .expect("audited");
    assert_eq!(entry.actor, "nv.mot-cua");
    let said = format!("{entry:?}");
    assert!(
        !said.contains("account\"")
            && !said.contains("0906591985")
            && !said.contains("new-account"),
        "{said}"
    );

    drop(store);
    // refused clearly: a number that is not a phone
    let (ok, out) = ops(
        dir.path(),
        &[
            "citizen",
            "erase",
            "--tenant",
            "tuyen-quang",
            "--phone",
            "12",
            "--operator",
            "x",
        ],
    );
    assert!(!ok && out.contains("--phone"), "{out}");
}

#[tokio::test]
async fn a_purge_on_demand_drops_old_closed_dossiers_and_compacts_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let tq = TenantId::parse("tuyen-quang").unwrap();
    let old = "000.00.04.H60-200110-0001";
    let open_one = "000.00.04.H60-200110-0002";
    {
        let (_, store) = open(dir.path());
        let mut closed = motcua_app::contract::dossier("tuyen-quang", old, 1);
        closed.status = motcua_domain::NationalStatus::Returned;
        closed.returned_at = Some("2020-01-20T03:00:00Z".parse().unwrap());
        closed.updated_at = "2020-01-20T03:00:00Z".parse().unwrap();
        store.upsert_dossier_if_newer(&closed).await.unwrap();
        let still = motcua_app::contract::dossier("tuyen-quang", open_one, 1);
        store.upsert_dossier_if_newer(&still).await.unwrap();
    }
    let (ok, out) = ops(dir.path(), &["store", "purge", "--compact"]);
    assert!(ok, "{out}");
    assert!(
        out.contains("purged 1 closed dossier(s), 0 closed ticket(s)"),
        "{out}"
    );
    assert!(
        out.contains("compacted ") && out.contains(" bytes -> "),
        "{out}"
    );
    let (_, store) = open(dir.path());
    let code = |c: &str| motcua_domain::DossierCode::parse(c).unwrap();
    assert_eq!(store.load_dossier(&tq, &code(old)).await.unwrap(), None);
    assert!(
        store
            .load_dossier(&tq, &code(open_one))
            .await
            .unwrap()
            .is_some()
    );
}

/// `motcua-ops catalogue`: a bad file is refused with its line and field and changes nothing;
/// the sample imports, shows its version, and answers as the chat would.
#[tokio::test]
async fn a_catalogue_is_checked_imported_shown_and_searched() {
    let dir = tempfile::tempdir().unwrap();
    let _ = open(dir.path()); // the data directory as the server leaves it
    let bad = dir.path().join("bad.csv");
    std::fs::write(
        &bad,
        "code,name,sector,agency,documents,fees,processing_time\n\
         1.001193,Thủ tục đăng ký khai sinh,Hộ tịch,UBND cấp xã,Tờ khai,Miễn lệ phí,Trong ngày\n\
         1.000894,Thủ tục đăng ký kết hôn,Hộ tịch,UBND cấp xã,Tờ khai,,Trong ngày\n",
    )
    .unwrap();
    let bad = bad.to_str().unwrap();
    let (ok, out) = ops(dir.path(), &["catalogue", "check", bad]);
    assert!(!ok && out.contains("line 3, field `fees`: empty"), "{out}");
    let (ok, out) = ops(
        dir.path(),
        &["catalogue", "import", "--tenant", "tuyen-quang", bad],
    );
    assert!(!ok && out.contains("line 3"), "{out}");
    let (_, out) = ops(
        dir.path(),
        &["catalogue", "show", "--tenant", "tuyen-quang"],
    );
    assert!(
        out.contains("no catalogue imported"),
        "a refused file replaced nothing: {out}"
    );

    let sample = "infra/tenants/procedures-tuyen-quang.json";
    let (ok, out) = ops(dir.path(), &["catalogue", "check", sample]);
    assert!(ok && out.contains("52 procedure(s)"), "{out}");
    let (ok, out) = ops(
        dir.path(),
        &["catalogue", "import", "--tenant", "tuyen-quang", sample],
    );
    assert!(ok && out.contains("imported 52 procedure(s)"), "{out}");
    let (ok, out) = ops(
        dir.path(),
        &["catalogue", "show", "--tenant", "tuyen-quang"],
    );
    assert!(
        ok && out.contains("52 procedure(s), from procedures-tuyen-quang.json"),
        "{out}"
    );
    let (_, other) = ops(dir.path(), &["catalogue", "show", "--tenant", "bac-ninh"]);
    assert!(
        other.contains("no catalogue imported"),
        "tenants are apart: {other}"
    );
    let (ok, out) = ops(
        dir.path(),
        &[
            "catalogue",
            "search",
            "--tenant",
            "tuyen-quang",
            "lam giay khai sinh",
        ],
    );
    assert!(ok && out.starts_with("1.001193"), "{out}");
    let (ok, out) = ops(
        dir.path(),
        &["catalogue", "search", "--tenant", "tuyen-quang", "xin chào"],
    );
    assert!(ok && out.contains("goes to staff"), "{out}");
    let (ok, out) = ops(dir.path(), &["catalogue", "show", "--tenant", "nowhere"]);
    assert!(!ok && out.contains("no tenant nowhere"), "{out}");
}
