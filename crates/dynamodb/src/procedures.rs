//! The tenant's procedure catalogue: `PROC#{tenant}` / `V#{version}#{n4}`, the procedures in
//! chunks under DynamoDB's 400 KB item limit, and `CURRENT`, written after every chunk, which
//! names the version readers load. The previous version's chunks are deleted afterwards.

use async_trait::async_trait;
use motcua_app::{ProcedureStore, StoreError, StoreResult};
use motcua_domain::TenantId;
use motcua_domain::procedure::{CatalogueInfo, Procedure, ProcedureCatalogue};
use serde::{Deserialize, Serialize};

use crate::DynamoStore;
use crate::item::{BODY, Fields, Item, body, keyed, s};
use crate::keys;

/// JSON bytes per chunk: well under 400 KB with the keys and attribute names.
const CHUNK_BYTES: usize = 300_000;

#[derive(Serialize, Deserialize)]
struct Current {
    info: CatalogueInfo,
    chunks: usize,
}

fn chunks(procedures: &[Procedure]) -> Vec<Vec<&Procedure>> {
    let mut out: Vec<Vec<&Procedure>> = vec![Vec::new()];
    let mut size = 0;
    for p in procedures {
        let len = serde_json::to_string(p).map(|j| j.len()).unwrap_or(0) + 1;
        if size + len > CHUNK_BYTES && !out.last().is_some_and(Vec::is_empty) {
            out.push(Vec::new());
            size = 0;
        }
        size += len;
        out.last_mut().expect("one chunk at least").push(p);
    }
    out
}

impl DynamoStore {
    async fn current_procedures(&self, tenant: &TenantId) -> StoreResult<Option<Current>> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("PK", s(keys::procedures(tenant)))
            .key("SK", s(keys::PROCEDURES_CURRENT))
            .consistent_read(true)
            .send()
            .await
            .map_err(|err| self.unavailable("GetItem (procedure catalogue)", err))?;
        out.item().map(|item| Fields(item).body()).transpose()
    }

    async fn procedure_chunks(&self, tenant: &TenantId, version: &str) -> StoreResult<Vec<Item>> {
        let query = self
            .query()
            .key_condition_expression("PK = :pk AND begins_with(SK, :v)")
            .expression_attribute_values(":pk", s(keys::procedures(tenant)))
            .expression_attribute_values(":v", s(keys::procedures_version(version)))
            .consistent_read(true);
        self.query_all("Query (procedure chunks)", query).await
    }
}

#[async_trait]
impl ProcedureStore for DynamoStore {
    async fn put_procedures(
        &self,
        tenant: &TenantId,
        catalogue: &ProcedureCatalogue,
    ) -> StoreResult<()> {
        let before = self.current_procedures(tenant).await?;
        let parts = chunks(&catalogue.procedures);
        let prefix = keys::procedures_version(&catalogue.version);
        for (i, part) in parts.iter().enumerate() {
            let mut item = keyed(keys::procedures(tenant), &format!("{prefix}{i:04}"));
            item.insert(BODY.into(), body(part));
            self.put("PutItem (procedure chunk)", item).await?;
        }
        let mut current = keyed(keys::procedures(tenant), keys::PROCEDURES_CURRENT);
        let pointer = Current {
            info: catalogue.info(),
            chunks: parts.len(),
        };
        current.insert(BODY.into(), body(&pointer));
        self.put("PutItem (procedure catalogue)", current).await?;
        if let Some(old) = before.filter(|b| b.info.version != catalogue.version) {
            for item in self.procedure_chunks(tenant, &old.info.version).await? {
                let sk = Fields(&item).str("SK")?.to_string();
                self.client
                    .delete_item()
                    .table_name(&self.table)
                    .key("PK", s(keys::procedures(tenant)))
                    .key("SK", s(sk))
                    .send()
                    .await
                    .map_err(|err| self.unavailable("DeleteItem (procedure chunk)", err))?;
            }
        }
        Ok(())
    }

    async fn procedures_info(&self, tenant: &TenantId) -> StoreResult<Option<CatalogueInfo>> {
        Ok(self.current_procedures(tenant).await?.map(|c| c.info))
    }

    async fn procedures(&self, tenant: &TenantId) -> StoreResult<Option<ProcedureCatalogue>> {
        // An import may replace the version between the two reads: read again once.
        for _ in 0..2 {
            let Some(current) = self.current_procedures(tenant).await? else {
                return Ok(None);
            };
            let items = self.procedure_chunks(tenant, &current.info.version).await?;
            if items.len() != current.chunks {
                continue;
            }
            let mut procedures = Vec::with_capacity(current.info.procedures);
            for item in &items {
                procedures.extend(Fields(item).body::<Vec<Procedure>>()?);
            }
            return Ok(Some(ProcedureCatalogue {
                version: current.info.version,
                imported_at: current.info.imported_at,
                source: current.info.source,
                procedures,
            }));
        }
        Err(StoreError::Unavailable(format!(
            "DynamoDB table {}: the procedure catalogue of {tenant} changed while it was read",
            self.table
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_stay_under_the_item_limit_and_keep_every_procedure_in_order() {
        let p = |i: usize| Procedure {
            code: format!("1.{i:06}"),
            name: "Thủ tục ".repeat(40),
            sector: "Hộ tịch".into(),
            agency: "UBND cấp xã".into(),
            documents: vec!["Tờ khai ".repeat(30); 8],
            fees: "Miễn lệ phí".into(),
            processing_time: "Trong ngày".into(),
            level: None,
            online_url: None,
            keywords: vec![],
        };
        let all: Vec<Procedure> = (0..2000).map(p).collect();
        let parts = chunks(&all);
        assert!(parts.len() > 1);
        for part in &parts {
            assert!(serde_json::to_string(part).unwrap().len() <= CHUNK_BYTES);
        }
        let flat: Vec<&Procedure> = parts.into_iter().flatten().collect();
        assert_eq!(flat.len(), 2000);
        assert!(flat.iter().zip(&all).all(|(a, b)| *a == b));
    }
}
