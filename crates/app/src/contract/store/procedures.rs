//! Store contract: the tenant's procedure catalogue.

use motcua_domain::procedure::{Procedure, ProcedureCatalogue};

use super::*;

fn catalogue(version: &str, count: usize, at: &str) -> ProcedureCatalogue {
    ProcedureCatalogue {
        version: version.into(),
        imported_at: t(at),
        source: format!("{version}.csv"),
        procedures: (0..count)
            .map(|i| Procedure {
                code: format!("1.{i:06}"),
                name: format!("Thủ tục số {i} của phiên bản {version}"),
                sector: "Hộ tịch".into(),
                agency: "UBND cấp xã".into(),
                // large enough that a 2,000-procedure catalogue passes DynamoDB's item limit
                documents: vec!["Tờ khai theo mẫu quy định ".repeat(8); 4],
                fees: "Miễn lệ phí".into(),
                processing_time: "Trong ngày".into(),
                level: Some("toàn trình".into()),
                online_url: Some(format!("https://dichvucong.example.gov.vn/tthc/{i}")),
                keywords: vec![],
            })
            .collect(),
    }
}

pub async fn procedure_catalogues_are_replaced_whole_per_tenant<S: Store + 'static>(s: Arc<S>) {
    let (a, b) = (tenant("ta"), tenant("tb"));
    assert_eq!(s.procedures_info(&a).await.unwrap(), None);
    assert_eq!(s.procedures(&a).await.unwrap(), None);
    let first = catalogue("v1", 2000, "2026-03-01T00:00:00Z");
    s.put_procedures(&a, &first).await.unwrap();
    assert_eq!(s.procedures_info(&a).await.unwrap(), Some(first.info()));
    assert_eq!(s.procedures(&a).await.unwrap().as_ref(), Some(&first));
    assert_eq!(
        s.procedures(&b).await.unwrap(),
        None,
        "tenants are isolated"
    );
    // a smaller catalogue replaces it: nothing of the first remains
    let second = catalogue("v2", 3, "2026-04-01T00:00:00Z");
    s.put_procedures(&a, &second).await.unwrap();
    assert_eq!(s.procedures_info(&a).await.unwrap(), Some(second.info()));
    assert_eq!(s.procedures(&a).await.unwrap().as_ref(), Some(&second));
    // the same version again (a re-import of the same file) keeps it whole
    let again = catalogue("v2", 3, "2026-04-02T00:00:00Z");
    s.put_procedures(&a, &again).await.unwrap();
    assert_eq!(s.procedures(&a).await.unwrap().as_ref(), Some(&again));
    let other = catalogue("v9", 1, "2026-04-01T00:00:00Z");
    s.put_procedures(&b, &other).await.unwrap();
    assert_eq!(s.procedures(&a).await.unwrap().as_ref(), Some(&again));
    assert_eq!(s.procedures(&b).await.unwrap().as_ref(), Some(&other));
}
