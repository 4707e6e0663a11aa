//! Builds the application from settings: the one path used by `qingting serve`
//! and by every test (which passes port 0 and a fresh database).

use std::{net::SocketAddr, sync::Arc};

use tokio::net::TcpListener;

use crate::{
    config::Settings,
    db::Db,
    survey::intake::{Intake, Mode},
    web,
};

/// A connected, migrated database and a bound listener, ready to serve.
pub struct Application {
    pub db: Db,
    pub addr: SocketAddr,
    /// Where the separate metrics listener (`[metrics] bind`) listens, if any.
    pub metrics_addr: Option<SocketAddr>,
    listener: TcpListener,
    metrics_listener: Option<TcpListener>,
    settings: Arc<Settings>,
    responses: Mode,
}

impl Application {
    /// Connects to the database, applies migrations and binds the listener.
    pub async fn build(settings: Settings) -> anyhow::Result<Application> {
        // A mistyped schedule is refused at start, not discovered at 02:30.
        settings.backup.time()?;
        settings.validate()?;
        let db = Db::connect(&settings.database_url(), settings.database.max_connections).await?;
        db.migrate().await?;
        let listener = TcpListener::bind(&settings.server.bind)
            .await
            .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", settings.server.bind))?;
        let addr = listener.local_addr()?;
        let metrics_listener = if settings.metrics.enabled && !settings.metrics.bind.is_empty() {
            let bind = &settings.metrics.bind;
            Some(
                TcpListener::bind(bind)
                    .await
                    .map_err(|e| anyhow::anyhow!("cannot listen for metrics on {bind}: {e}"))?,
            )
        } else {
            None
        };
        let metrics_addr = metrics_listener
            .as_ref()
            .map(TcpListener::local_addr)
            .transpose()?;
        web::install_metrics();
        Ok(Application {
            db,
            addr,
            metrics_addr,
            listener,
            metrics_listener,
            settings: Arc::new(settings),
            responses: Mode::Store,
        })
    }

    /// Answers questionnaire submissions without storing them: the baseline
    /// the submission benchmark compares durable storage with.
    pub fn discarding_responses(mut self) -> Application {
        self.responses = Mode::Discard;
        self
    }

    /// Serves until the process receives Ctrl-C or SIGTERM.
    pub async fn run(self) -> anyhow::Result<()> {
        crate::notify::spawn(self.db.clone(), self.settings.clone());
        crate::backup::schedule::spawn(self.db.clone(), self.settings.clone());
        crate::auth::session::spawn_purge(self.db.clone(), self.settings.clone());
        crate::audit::retention::spawn(self.db.clone(), self.settings.clone());
        // Read before the first request: a submission must see subscriptions made before the start.
        let webhooks = crate::webhook::Wants::default();
        crate::webhook::ops::refresh(&self.db, &webhooks).await?;
        crate::webhook::deliver::spawn(self.db.clone(), self.settings.clone(), webhooks.clone());
        if let Some(listener) = self.metrics_listener {
            let router = web::metrics_router(self.settings.metrics.clone());
            tokio::spawn(async move {
                if let Err(e) = axum::serve(listener, router).await {
                    tracing::error!(error = %e, "metrics listener stopped");
                }
            });
        }
        // Validity recomputations cut short by a restart go on where they stopped.
        crate::survey::ops::resume_all(&self.db).await?;
        let app = web::router(web::AppState {
            db: self.db.clone(),
            limiter: Arc::new(web::ratelimit::Limiter::new(
                self.settings.security.public_intake_per_hour,
                std::time::Duration::from_secs(3600),
            )),
            intake: Intake::start(self.db.clone(), self.responses, webhooks.clone()),
            webhooks,
            settings: self.settings,
        });
        axum::serve(
            self.listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown_signal())
        .await?;
        self.db.close().await;
        Ok(())
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutting down");
}
