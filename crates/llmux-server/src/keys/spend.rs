//! The batched spend writer: hooks hand it rows without waiting; one task writes them
//! in batches. While the database is away the rows wait in a bounded buffer and are
//! written once it is back; a row that does not fit is counted and logged, never dropped
//! in silence.

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::sync::mpsc::{self, error::TryRecvError};
use tokio::sync::{Notify, oneshot};

use crate::store::{BudgetReset, SpendRow, Store, StoreError};

/// Rows written in one transaction at most.
const BATCH: usize = 500;
/// How long a row may wait for its batch to fill.
const FLUSH_EVERY: Duration = Duration::from_millis(100);
/// Queue between the hooks and the writer.
const CHANNEL: usize = 16_384;
/// Longest wait between two tries while the database is away.
const MAX_BACKOFF: Duration = Duration::from_secs(2);

/// One thing to write.
#[derive(Debug)]
pub enum SpendOp {
    Row(SpendRow),
    Reset(BudgetReset),
    /// Answered once everything handed over before it is written ([`SpendWriter::flush`]).
    Flush(oneshot::Sender<()>),
}

/// Counters of the writer, shared with whoever asks (tests, readiness).
#[derive(Debug, Default)]
pub struct SpendStats {
    pub written: AtomicU64,
    /// Rows waiting for the database.
    pub buffered: AtomicU64,
    /// Rows given up on because the buffer was full.
    pub dropped: AtomicU64,
}

/// The hooks' end of the writer.
#[derive(Debug, Clone)]
pub struct SpendWriter {
    tx: mpsc::Sender<SpendOp>,
    /// Wakes the writer before its flush interval when a batch's worth is waiting.
    full: Arc<Notify>,
    pub stats: Arc<SpendStats>,
}

impl SpendWriter {
    /// Starts the writer task (inside a Tokio runtime), holding at most `max_buffered`
    /// rows while the database is away.
    pub fn start(store: Arc<Store>, max_buffered: usize) -> Self {
        let (tx, rx) = mpsc::channel(CHANNEL);
        let stats = Arc::new(SpendStats::default());
        let full = Arc::new(Notify::new());
        tokio::spawn(run(
            store,
            rx,
            full.clone(),
            stats.clone(),
            max_buffered.max(1),
        ));
        Self { tx, full, stats }
    }

    /// Hands `op` to the writer without waiting.
    pub fn send(&self, op: SpendOp) {
        if self.tx.try_send(op).is_err() {
            self.stats.dropped.fetch_add(1, Ordering::Relaxed);
            tracing::error!("spend writer queue full: a spend row was not recorded");
            return;
        }
        // The writer sleeps through its flush interval rather than waking for each row;
        // a full batch waiting wakes it early. A wake-up missed in a race only means the
        // batch waits for the end of the interval.
        let waiting = CHANNEL.saturating_sub(self.tx.capacity());
        if waiting > 0 && waiting.is_multiple_of(BATCH) {
            self.full.notify_one();
        }
    }

    /// Waits until every row handed over before this call is written (at shutdown: the
    /// runtime would otherwise drop the rows still waiting). While the database is away
    /// it waits for it; the caller bounds the wait.
    pub async fn flush(&self) {
        let (done, written) = oneshot::channel();
        if self.tx.send(SpendOp::Flush(done)).await.is_ok() {
            let _ = written.await;
        }
    }

    /// Whether the buffer is past `max` rows (`allow_requests_on_db_unavailable: false`
    /// refuses requests then).
    pub fn buffered(&self) -> u64 {
        self.stats.buffered.load(Ordering::Relaxed)
    }
}

async fn run(
    store: Arc<Store>,
    mut rx: mpsc::Receiver<SpendOp>,
    full: Arc<Notify>,
    stats: Arc<SpendStats>,
    max_buffered: usize,
) {
    let mut rows: VecDeque<SpendRow> = VecDeque::new();
    let mut resets: Vec<BudgetReset> = Vec::new();
    let mut flushes: Vec<oneshot::Sender<()>> = Vec::new();
    let mut backoff = Duration::from_millis(50);
    let mut closed = false;
    loop {
        // Wait for work, then give the batch a moment to fill: asleep, so that the rows
        // of a busy gateway do not wake this task one by one.
        if rows.is_empty() && resets.is_empty() {
            match rx.recv().await {
                Some(op) => take(
                    op,
                    &mut rows,
                    &mut resets,
                    &mut flushes,
                    &stats,
                    max_buffered,
                ),
                None => return,
            }
        }
        if !closed && flushes.is_empty() && rows.len().saturating_add(rx.len()) < BATCH {
            tokio::select! {
                () = tokio::time::sleep(FLUSH_EVERY) => {}
                () = full.notified() => {}
            }
        }
        while !closed && rows.len() < BATCH {
            match rx.try_recv() {
                Ok(op) => take(
                    op,
                    &mut rows,
                    &mut resets,
                    &mut flushes,
                    &stats,
                    max_buffered,
                ),
                Err(TryRecvError::Empty) => break,
                Err(TryRecvError::Disconnected) => closed = true,
            }
        }
        let n = rows.len().min(BATCH);
        let written = {
            let batch = &rows.make_contiguous()[..n];
            store.write_spend(batch, &resets).await
        };
        match written {
            Ok(()) => {
                rows.drain(..n);
                resets.clear();
                stats.written.fetch_add(n as u64, Ordering::Relaxed);
                stats.buffered.store(rows.len() as u64, Ordering::Relaxed);
                backoff = Duration::from_millis(50);
            }
            Err(StoreError::Query(e)) => {
                // The database answered but refused the batch: one row of it may be
                // unwritable for good. Each is tried alone; one refused alone is given
                // up on (logged, counted) so that it cannot hold back every later row.
                tracing::warn!(error = %e, "spend batch refused; writing its rows one by one");
                let batch: Vec<SpendRow> = rows.drain(..n).collect();
                for row in batch {
                    match store.write_spend(std::slice::from_ref(&row), &[]).await {
                        Ok(()) => {
                            stats.written.fetch_add(1, Ordering::Relaxed);
                        }
                        Err(StoreError::Query(e) | StoreError::Corrupt(e)) => {
                            stats.dropped.fetch_add(1, Ordering::Relaxed);
                            tracing::error!(request_id = %row.request_id, error = %e, "spend row refused by the database: not recorded");
                        }
                        Err(StoreError::Unavailable(_)) => rows.push_back(row),
                    }
                }
                if store.write_spend(&[], &resets).await.is_ok() {
                    resets.clear();
                }
                stats.buffered.store(rows.len() as u64, Ordering::Relaxed);
            }
            Err(e) => {
                stats.buffered.store(rows.len() as u64, Ordering::Relaxed);
                tracing::warn!(error = %e, buffered = rows.len(), "spend not written yet; kept for the next try");
                // Keep taking rows while waiting, so the hooks never block.
                let wait = tokio::time::sleep(backoff);
                tokio::pin!(wait);
                loop {
                    tokio::select! {
                        () = &mut wait => break,
                        op = rx.recv(), if !closed => match op {
                            Some(op) => take(op, &mut rows, &mut resets, &mut flushes, &stats, max_buffered),
                            None => closed = true,
                        },
                    }
                }
                backoff = backoff.saturating_mul(2).min(MAX_BACKOFF);
            }
        }
        if rows.is_empty() && resets.is_empty() {
            for done in flushes.drain(..) {
                let _ = done.send(());
            }
        }
        if closed && rows.is_empty() && resets.is_empty() {
            return;
        }
    }
}

fn take(
    op: SpendOp,
    rows: &mut VecDeque<SpendRow>,
    resets: &mut Vec<BudgetReset>,
    flushes: &mut Vec<oneshot::Sender<()>>,
    stats: &SpendStats,
    max_buffered: usize,
) {
    match op {
        SpendOp::Row(r) => {
            if rows.len() >= max_buffered {
                stats.dropped.fetch_add(1, Ordering::Relaxed);
                tracing::error!(
                    request_id = %r.request_id,
                    spend = r.spend,
                    "spend buffer full while the database is away: this row is lost"
                );
                return;
            }
            rows.push_back(r);
            stats.buffered.store(rows.len() as u64, Ordering::Relaxed);
        }
        SpendOp::Flush(done) => flushes.push(done),
        SpendOp::Reset(r) => {
            if !resets.contains(&r) {
                resets.push(r);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn flush_answers_once_every_row_before_it_is_written() {
        let dir = std::env::temp_dir().join(format!("llmux-spend-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let store = Store::open(&format!("sqlite://{}/keys.db", dir.display()), 1).unwrap();
        assert!(store.wait_ready(Duration::from_secs(10)).await);
        let writer = SpendWriter::start(store.clone(), 10_000);
        let n = BATCH + 7;
        for i in 0..n {
            writer.send(SpendOp::Row(SpendRow {
                request_id: format!("r{i}"),
                api_key: "k".into(),
                team_id: None,
                user_id: None,
                model: "m".into(),
                model_group: "g".into(),
                call_type: "acompletion".into(),
                spend: 0.5,
                prompt_tokens: 1,
                completion_tokens: 1,
                total_tokens: 2,
                start_time: 1,
                end_time: 2,
            }));
        }
        // Answered only once the last rows are in: no earlier, however the timing goes.
        tokio::time::timeout(Duration::from_secs(10), writer.flush())
            .await
            .unwrap();
        assert_eq!(writer.stats.written.load(Ordering::Relaxed), n as u64);
        let rows = store
            .spend_logs(&crate::store::SpendFilter::default(), 10_000)
            .await
            .unwrap();
        assert_eq!(rows.len(), n);
    }
}
