//! Dossiers, their timelines and the phone and due-date indexes.

use super::*;

#[async_trait]
impl DossierStore for EmbeddedStore {
    async fn load_dossier(
        &self,
        tenant: &TenantId,
        code: &DossierCode,
    ) -> StoreResult<Option<DossierView>> {
        let k = key(&[tenant.as_str(), code.as_str()]);
        self.db
            .read(move |txn| {
                let dossiers = txn.open_table(DOSSIERS).map_err(unavailable)?;
                let Some(dossier) = get_json::<Dossier>(&dossiers, &k)? else {
                    return Ok(None);
                };
                let timeline = txn.open_table(TIMELINE).map_err(unavailable)?;
                let timeline = json_with_prefix(&timeline, &format!("{k}{}", crate::db::SEP))?;
                Ok(Some(DossierView { dossier, timeline }))
            })
            .await
    }

    async fn upsert_dossier_if_newer(&self, dossier: &Dossier) -> StoreResult<Upsert> {
        let d = dossier.clone();
        self.db
            .write(move |txn| {
                let k = key(&[d.tenant.as_str(), d.code.as_str()]);
                let mut dossiers = txn.open_table(DOSSIERS).map_err(unavailable)?;
                let old = get_json::<Dossier>(&dossiers, &k)?;
                if let Some(old) = &old
                    && old.version >= d.version
                {
                    return Ok(Upsert::Stale {
                        stored_version: old.version,
                    });
                }
                put_json(&mut dossiers, &k, &d)?;
                reindex(txn, old.as_ref(), &d)?;
                Ok(Upsert::Applied)
            })
            .await
    }

    async fn replace_dossier(&self, dossier: &Dossier, expected: Option<u64>) -> StoreResult<bool> {
        let d = dossier.clone();
        self.db
            .write(move |txn| {
                let k = key(&[d.tenant.as_str(), d.code.as_str()]);
                let mut dossiers = txn.open_table(DOSSIERS).map_err(unavailable)?;
                let old = get_json::<Dossier>(&dossiers, &k)?;
                if old.as_ref().map(|o| o.sync.revision) != expected {
                    return Ok(false);
                }
                put_json(&mut dossiers, &k, &d)?;
                reindex(txn, old.as_ref(), &d)?;
                Ok(true)
            })
            .await
    }

    async fn add_timeline_entry(
        &self,
        tenant: &TenantId,
        code: &DossierCode,
        entry: &TimelineEntry,
    ) -> StoreResult<bool> {
        let k = key(&[
            tenant.as_str(),
            code.as_str(),
            &ms13(entry.at),
            &entry.event_id,
            &entry.kind,
        ]);
        let entry = entry.clone();
        self.db
            .write(move |txn| {
                let mut t = txn.open_table(TIMELINE).map_err(unavailable)?;
                if t.get(k.as_str()).map_err(unavailable)?.is_some() {
                    return Ok(false);
                }
                put_json(&mut t, &k, &entry)?;
                Ok(true)
            })
            .await
    }

    async fn dossiers_due_between(
        &self,
        tenant: &TenantId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> StoreResult<Vec<Dossier>> {
        let tenant = tenant.clone();
        let lo = key(&[tenant.as_str(), &ms13(from)]);
        // every code sorts before '~' after the separator
        let hi = format!("{}{}~", key(&[tenant.as_str(), &ms13(to)]), crate::db::SEP);
        self.db
            .read(move |txn| {
                let due = txn.open_table(DUE_DOSSIERS).map_err(unavailable)?;
                let dossiers = txn.open_table(DOSSIERS).map_err(unavailable)?;
                let mut out = Vec::new();
                for item in due.range(lo.as_str()..=hi.as_str()).map_err(unavailable)? {
                    let (k, _) = item.map_err(unavailable)?;
                    let code = k
                        .value()
                        .rsplit(crate::db::SEP)
                        .next()
                        .unwrap_or_default()
                        .to_string();
                    if let Some(d) = get_json(&dossiers, &key(&[tenant.as_str(), &code]))? {
                        out.push(d);
                    }
                }
                Ok(out)
            })
            .await
    }

    async fn dossiers_by_phone(
        &self,
        tenant: &TenantId,
        phone_hash: &str,
    ) -> StoreResult<Vec<Dossier>> {
        self.via_index(PHONE_DOSSIERS, DOSSIERS, tenant, phone_hash)
            .await
    }
}

/// Moves the dossier's phone, due-date and closing-time index entries from `old` to `d`.
fn reindex(txn: &redb::WriteTransaction, old: Option<&Dossier>, d: &Dossier) -> StoreResult<()> {
    if let Some(old) = old {
        unindex(txn, old)?;
    }
    let tenant = d.tenant.as_str();
    let mut index = txn.open_table(PHONE_DOSSIERS).map_err(unavailable)?;
    for h in phone_hashes(d) {
        index
            .insert(key(&[tenant, &h, d.code.as_str()]).as_str(), ())
            .map_err(unavailable)?;
    }
    if let Some(k) = due_key(d) {
        let mut due = txn.open_table(DUE_DOSSIERS).map_err(unavailable)?;
        due.insert(k.as_str(), ()).map_err(unavailable)?;
    }
    if let Some(k) = super::retention::closed_key(d) {
        let mut closed = txn.open_table(CLOSED_DOSSIERS).map_err(unavailable)?;
        closed.insert(k.as_str(), ()).map_err(unavailable)?;
    }
    Ok(())
}

/// Removes the dossier's entries from every index.
pub(super) fn unindex(txn: &redb::WriteTransaction, d: &Dossier) -> StoreResult<()> {
    let tenant = d.tenant.as_str();
    let mut index = txn.open_table(PHONE_DOSSIERS).map_err(unavailable)?;
    for h in phone_hashes(d) {
        index
            .remove(key(&[tenant, &h, d.code.as_str()]).as_str())
            .map_err(unavailable)?;
    }
    if let Some(k) = due_key(d) {
        let mut due = txn.open_table(DUE_DOSSIERS).map_err(unavailable)?;
        due.remove(k.as_str()).map_err(unavailable)?;
    }
    if let Some(k) = super::retention::closed_key(d) {
        let mut closed = txn.open_table(CLOSED_DOSSIERS).map_err(unavailable)?;
        closed.remove(k.as_str()).map_err(unavailable)?;
    }
    Ok(())
}
