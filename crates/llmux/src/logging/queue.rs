//! One bounded queue and one worker task per sink: the request's task only ever
//! `try_send`s (a full queue drops the event and counts it, never waits), and a slow sink
//! fills only its own queue.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use futures::future::BoxFuture;
use tokio::sync::{mpsc, oneshot};

use super::payload::{StandardLoggingPayload, Status};

/// A destination for logging events. `write` runs on the sink's own worker task, with
/// batches of at most the sink's batch size, in arrival order.
pub trait Sink: Send + Sync + std::fmt::Debug + 'static {
    /// LiteLLM's callback name (`prometheus`, `generic_api`, …).
    fn name(&self) -> &'static str;

    /// Delivers one batch. Errors are the sink's to count and report; the worker only
    /// moves on.
    fn write<'a>(&'a self, batch: &'a [Arc<StandardLoggingPayload>]) -> BoxFuture<'a, ()>;

    /// Largest batch handed to [`Sink::write`].
    fn batch_size(&self) -> usize {
        512
    }

    /// How long the worker waits for a batch to fill before writing what it has.
    fn flush_interval(&self) -> Duration {
        Duration::ZERO
    }

    /// Events the sink received and could not deliver (given up after its retries).
    fn failed_events(&self) -> u64 {
        0
    }
}

/// Which events a sink gets: LiteLLM's `callbacks` get both, `success_callback` and
/// `failure_callback` one each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Wants {
    pub success: bool,
    pub failure: bool,
}

impl Wants {
    pub const ALL: Self = Self {
        success: true,
        failure: true,
    };

    pub fn wants(self, status: Status) -> bool {
        match status {
            Status::Success => self.success,
            Status::Failure => self.failure,
        }
    }
}

/// Counters of one sink's queue.
#[derive(Debug, Default)]
pub struct QueueCounters {
    /// Events accepted onto the queue.
    pub queued: AtomicU64,
    /// Events dropped because the queue was full.
    pub dropped: AtomicU64,
    /// Events handed to the sink's `write`.
    pub written: AtomicU64,
}

/// What a sink's queue carries: events, and flush marks that are answered once every
/// event queued before them has been written.
#[derive(Debug)]
enum Item {
    Event(Arc<StandardLoggingPayload>),
    Flush(oneshot::Sender<()>),
}

/// The request-side end of one sink's queue.
#[derive(Debug)]
pub struct SinkQueue {
    name: &'static str,
    wants: Wants,
    tx: mpsc::Sender<Item>,
    counters: Arc<QueueCounters>,
    sink: Arc<dyn Sink>,
}

impl SinkQueue {
    /// Starts `sink`'s worker on the current Tokio runtime, with a queue of `capacity`
    /// events (at least one).
    pub fn start(
        sink: Arc<dyn Sink>,
        wants: Wants,
        capacity: usize,
        rt: &tokio::runtime::Handle,
    ) -> Self {
        let (tx, rx) = mpsc::channel(capacity.max(1));
        let counters = Arc::new(QueueCounters::default());
        let name = sink.name();
        rt.spawn(worker(sink.clone(), rx, counters.clone()));
        Self {
            name,
            wants,
            tx,
            counters,
            sink,
        }
    }

    pub fn name(&self) -> &'static str {
        self.name
    }

    pub fn counters(&self) -> &Arc<QueueCounters> {
        &self.counters
    }

    /// The sink's undeliverable events ([`Sink::failed_events`]).
    pub fn failed_events(&self) -> u64 {
        self.sink.failed_events()
    }

    /// Hands `event` to the sink if it wants it; never waits.
    pub fn offer(&self, event: &Arc<StandardLoggingPayload>) {
        if !self.wants.wants(event.status) {
            return;
        }
        match self.tx.try_send(Item::Event(event.clone())) {
            Ok(()) => {
                self.counters.queued.fetch_add(1, Ordering::Relaxed);
            }
            Err(_) => {
                let dropped = self.counters.dropped.fetch_add(1, Ordering::Relaxed);
                // Once, then every 10 000th: a flood of warnings would cost what the
                // queue saves.
                if dropped.is_multiple_of(10_000) {
                    tracing::warn!(
                        callback = self.name,
                        dropped = dropped.saturating_add(1),
                        "logging queue full: event dropped"
                    );
                }
            }
        }
    }

    /// Resolves once every event queued before the call has been handed to the sink,
    /// without waiting for the batch to fill or the flush interval to pass. Waits for
    /// room on a full queue: this is for shutdown, never for a request.
    pub async fn flush(&self) {
        let (done, written) = oneshot::channel();
        if self.tx.send(Item::Flush(done)).await.is_ok() {
            // An Err is a worker that has stopped: nothing is left to wait for.
            let _ = written.await;
        }
    }
}

async fn worker(sink: Arc<dyn Sink>, mut rx: mpsc::Receiver<Item>, counters: Arc<QueueCounters>) {
    let size = sink.batch_size().max(1);
    let interval = sink.flush_interval();
    let mut items: Vec<Item> = Vec::with_capacity(size);
    let mut batch: Vec<Arc<StandardLoggingPayload>> = Vec::with_capacity(size);
    loop {
        if rx.recv_many(&mut items, size).await == 0 {
            return;
        }
        // Fill up to the batch size for at most the flush interval; a flush mark ends
        // the wait.
        let flushing = |items: &[Item]| items.iter().any(|i| matches!(i, Item::Flush(_)));
        let deadline = tokio::time::Instant::now().checked_add(interval);
        if let Some(deadline) = deadline.filter(|_| !interval.is_zero()) {
            while items.len() < size && !flushing(&items) {
                let want = size.saturating_sub(items.len());
                match tokio::time::timeout_at(deadline, rx.recv_many(&mut items, want)).await {
                    Ok(0) | Err(_) => break,
                    Ok(_) => {}
                }
            }
        }
        for item in items.drain(..) {
            match item {
                Item::Event(e) => batch.push(e),
                Item::Flush(done) => {
                    write(sink.as_ref(), &mut batch, &counters).await;
                    let _ = done.send(());
                }
            }
        }
        write(sink.as_ref(), &mut batch, &counters).await;
    }
}

async fn write(sink: &dyn Sink, batch: &mut Vec<Arc<StandardLoggingPayload>>, c: &QueueCounters) {
    if batch.is_empty() {
        return;
    }
    sink.write(batch).await;
    c.written.fetch_add(batch.len() as u64, Ordering::Relaxed);
    batch.clear();
}
