//! What wakes live subscriptions: one signal per process that readers wait on, raised by
//! writes in this process, and on PostgreSQL by `LISTEN camptrack_changes` (so writes made
//! by any process over the same database wake every process's readers). The signal only
//! makes readers read early: each reader also polls the change log, so a notification
//! lost on a dropped connection delays delivery by at most one poll interval.

use std::sync::{Arc, OnceLock, Weak};
use std::time::Duration;

use sea_orm::sqlx::postgres::PgListener;
use sea_orm::{DatabaseConnection, DbBackend};
use tokio::sync::watch;

use crate::storage::live::CHANNEL;

/// The wake-up signal of one process, shared by its subscriptions. Cheap to clone.
#[derive(Debug, Clone)]
pub struct LiveHub {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    wake: watch::Sender<u64>,
    settings: LiveSettings,
    db: DatabaseConnection,
    listener: OnceLock<()>,
    // Dropped with the hub: tells the listener task to stop.
    alive: watch::Sender<()>,
}

/// How live subscriptions are fed.
#[derive(Debug, Clone)]
pub struct LiveSettings {
    /// How often a subscription reads the change log when nothing woke it.
    pub poll_interval: Duration,
    /// Whether to `LISTEN` for other processes' writes on PostgreSQL.
    pub listen: bool,
}

impl LiveHub {
    /// A hub over `db`. The PostgreSQL listener starts with the first subscription.
    pub fn new(db: DatabaseConnection, settings: LiveSettings) -> Self {
        Self {
            inner: Arc::new(Inner {
                wake: watch::Sender::new(0),
                settings,
                db,
                listener: OnceLock::new(),
                alive: watch::Sender::new(()),
            }),
        }
    }

    /// Wakes every reader of this process: something may have been written.
    pub fn wake(&self) {
        self.inner.wake.send_modify(|n| *n = n.wrapping_add(1));
    }

    /// A receiver that changes whenever readers should look again.
    pub fn receiver(&self) -> watch::Receiver<u64> {
        self.start_listener();
        self.inner.wake.subscribe()
    }

    /// How often readers poll when nothing woke them.
    pub fn poll_interval(&self) -> Duration {
        self.inner.settings.poll_interval
    }

    /// The database the readers read.
    pub fn db(&self) -> &DatabaseConnection {
        &self.inner.db
    }

    fn start_listener(&self) {
        let inner = &self.inner;
        if !inner.settings.listen || inner.db.get_database_backend() != DbBackend::Postgres {
            return;
        }
        inner.listener.get_or_init(|| {
            let pool = inner.db.get_postgres_connection_pool().clone();
            let hub = Arc::downgrade(inner);
            let alive = inner.alive.subscribe();
            let retry = inner.settings.poll_interval;
            tokio::spawn(listen(pool, hub, alive, retry));
        });
    }
}

fn wake(hub: &Weak<Inner>) -> bool {
    match hub.upgrade() {
        Some(inner) => {
            inner.wake.send_modify(|n| *n = n.wrapping_add(1));
            true
        }
        None => false,
    }
}

/// Listens until the hub is dropped, reconnecting after errors. Every (re)connection wakes
/// the readers once, since notifications sent while it was away are lost.
async fn listen(
    pool: sea_orm::sqlx::PgPool,
    hub: Weak<Inner>,
    mut alive: watch::Receiver<()>,
    retry: Duration,
) {
    loop {
        let connected = async {
            let mut listener = PgListener::connect_with(&pool).await?;
            listener.listen(CHANNEL).await?;
            Ok::<_, sea_orm::sqlx::Error>(listener)
        };
        let mut listener = tokio::select! {
            _ = alive.changed() => return,
            connected = connected => match connected {
                Ok(listener) => listener,
                Err(err) => {
                    tracing::warn!(error = %err, "live updates: cannot LISTEN; polling until it can");
                    tokio::select! {
                        _ = alive.changed() => return,
                        () = tokio::time::sleep(retry) => continue,
                    }
                }
            },
        };
        if !wake(&hub) {
            return;
        }
        loop {
            let received = tokio::select! {
                _ = alive.changed() => return,
                received = listener.try_recv() => received,
            };
            match received {
                // A notification; or `None`: the connection dropped and was re-established,
                // so anything sent meanwhile is lost: wake anyway.
                Ok(_) => {
                    if !wake(&hub) {
                        return;
                    }
                }
                Err(err) => {
                    tracing::warn!(error = %err, "live updates: LISTEN connection lost");
                    break;
                }
            }
        }
        tokio::select! {
            _ = alive.changed() => return,
            () = tokio::time::sleep(retry) => {}
        }
    }
}
