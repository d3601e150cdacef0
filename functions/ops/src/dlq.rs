//! `dlq replay`: dead letters back onto their queue (dry run first; FIFO keeps its groups).

use std::time::Duration;

use motcua_app::Queue;

use crate::OpsError;

/// What a DLQ replay did (or, in a dry run, would do).
#[derive(Debug, Default, PartialEq, Eq)]
pub struct ReplayReport {
    /// (message id, dead-letter reason, body bytes), in the order read.
    pub messages: Vec<(String, Option<String>, usize)>,
    pub replayed: usize,
}

/// Reads `dlq` and, unless `dry_run`, sends each message to `main` then deletes it from `dlq`.
/// A sealed dead letter (`motcua_app::dead_letter`) is opened with the deployment's keys and
/// its original body is sent. Works on any [`Queue`] (SQS or the embedded queue).
pub async fn replay(
    dlq: &dyn Queue,
    main: &dyn Queue,
    tenancy: Option<&motcua_app::Tenancy>,
    fifo: bool,
    dry_run: bool,
    max: usize,
) -> Result<ReplayReport, OpsError> {
    let mut report = ReplayReport::default();
    let mut seen = std::collections::HashSet::new();
    let mut done = false;
    while !done {
        let batch = dlq.receive(10, Duration::from_secs(1)).await?;
        if batch.is_empty() {
            break;
        }
        for m in batch {
            // Past the limit, or seen before (a dry run has gone round the whole queue): give
            // the message back untouched.
            done = done || report.messages.len() >= max || seen.contains(&m.message_id);
            if done || dry_run {
                dlq.retry_later(&m.receipt, Duration::ZERO).await?;
                if !done {
                    seen.insert(m.message_id.clone());
                    report.messages.push((
                        m.message_id.clone(),
                        m.dead_letter_reason.clone(),
                        m.body.len(),
                    ));
                }
                continue;
            }
            seen.insert(m.message_id.clone());
            report.messages.push((
                m.message_id.clone(),
                m.dead_letter_reason.clone(),
                m.body.len(),
            ));
            let original = match tenancy {
                Some(t) => motcua_app::dead_letter::open(t, &m.body)?,
                None if motcua_app::dead_letter::is_sealed(&m.body) => {
                    dlq.retry_later(&m.receipt, Duration::ZERO).await?;
                    return Err(
                        "this dead letter is sealed: pass --table or --data-dir so that \
                         its tenant's key can open it"
                            .into(),
                    );
                }
                None => m.body.clone(),
            };
            if fifo {
                main.send_in_group(&original, "replay").await?;
            } else {
                main.send(&original).await?;
            }
            dlq.delete(&m.receipt).await?;
            report.replayed += 1;
        }
    }
    Ok(report)
}

pub(crate) async fn replay_command(
    ctx: Option<&crate::context::Ctx>,
    queue_url: &str,
    dlq_url: &str,
    dry_run: bool,
    max: usize,
) -> Result<String, OpsError> {
    let sdk = motcua_runtime::aws::sdk_config().await;
    let client = aws_sdk_sqs::Client::new(&sdk);
    let main = motcua_sqs::SqsQueue::new(client.clone(), queue_url, dlq_url);
    let dlq = main.dead_letter_queue();
    let tenancy = ctx.map(|c| &c.deployment.tenancy);
    let fifo = queue_url.ends_with(".fifo");
    let report = replay(&dlq, &main, tenancy, fifo, dry_run, max).await?;
    let mut out: Vec<String> = report
        .messages
        .iter()
        .map(|(id, reason, len)| {
            format!(
                "{id}  {len} bytes  reason: {}",
                reason
                    .as_deref()
                    .unwrap_or("(moved after too many receives)")
            )
        })
        .collect();
    out.push(if dry_run {
        format!(
            "dry run: {} message(s) would be replayed; nothing changed",
            report.messages.len()
        )
    } else {
        format!("replayed {} message(s) to {queue_url}", report.replayed)
    });
    Ok(out.join("\n"))
}
