//! The commands behind the binary: serve, migrate, token create, demo.

use std::io::Write as _;

use camptrack_domain::codes::Role;
use tokio::net::TcpListener;

use crate::config::{
    AuditCommand, BackupArgs, Cli, Command, CopyArgs, ServeArgs, TokenCommand, TokenCreateArgs,
};
use crate::storage::accounts::{self, AccountDraft};
use crate::storage::copy::CopyError;
use crate::storage::{StorageError, copy, db, organisations, seal};
use crate::{AppState, serve, telemetry};

/// Why a command failed.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The database could not be opened or migrated.
    #[error("database: {0}")]
    Database(#[from] sea_orm::DbErr),
    /// A storage operation failed.
    #[error("{0}")]
    Storage(#[from] StorageError),
    /// Binding or serving failed.
    #[error("server: {0}")]
    Io(#[from] std::io::Error),
    /// A command-line value is wrong.
    #[error("{0}")]
    Usage(String),
    /// A check found the data damaged (e.g. a broken audit chain).
    #[error("{0}")]
    Integrity(String),
    /// A copy between databases failed or did not match.
    #[error("copy: {0}")]
    Copy(#[from] CopyError),
}

/// Runs the command line.
pub async fn run(cli: Cli) -> Result<(), RunError> {
    telemetry::init(cli.log.log_format);
    if let Some(Command::Copy(args)) = &cli.command {
        return copy_database(&cli, args).await;
    }
    let settings = cli.database.settings();
    tracing::info!(database = %db::redact_url(&settings.url), "opening database");
    let conn = db::connect(&settings).await?;
    db::migrate(&conn).await?;
    match cli
        .command
        .unwrap_or_else(|| Command::Serve(Box::default()))
    {
        Command::Serve(args) => serve_until_signal(conn, *args).await,
        Command::Migrate => {
            tracing::info!("database is up to date");
            Ok(())
        }
        Command::Token(TokenCommand::Create(args)) => create_token(&conn, args).await,
        Command::Audit(command) => audit(&conn, command).await,
        Command::Copy(_) => Ok(()),
        Command::Backup(args) => backup(&conn, &args).await,
        Command::Checksums => {
            let mut out = std::io::stdout().lock();
            for table in copy::checksums(&conn).await? {
                writeln!(out, "{}\t{}\t{}", table.table, table.rows, table.checksum)?;
            }
            Ok(())
        }
        Command::Demo(args) => {
            let loaded = crate::demo::load(&conn, args.seed, args.sites).await?;
            tracing::info!(
                sites = loaded.sites,
                assessments = loaded.assessments,
                warehouses = loaded.warehouses,
                distributions = loaded.distributions,
                "demo data loaded"
            );
            Ok(())
        }
    }
}

async fn serve_until_signal(
    conn: sea_orm::DatabaseConnection,
    args: ServeArgs,
) -> Result<(), RunError> {
    if !accounts::admin_exists(&conn).await? {
        tracing::warn!(
            "no administrator account yet: create one with `camptrack token create --role ADMIN` (it prints the token once)"
        );
    }
    let listener = TcpListener::bind(args.listen).await?;
    tracing::info!(address = %listener.local_addr()?, "camptrack serving GraphQL at /graphql");
    serve(listener, AppState::new(conn, args), shutdown_signal()).await?;
    tracing::info!("stopped");
    Ok(())
}

/// Resolves on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}

async fn create_token(
    conn: &sea_orm::DatabaseConnection,
    args: TokenCreateArgs,
) -> Result<(), RunError> {
    let role: Role = args.role.to_ascii_uppercase().parse().map_err(|_| {
        RunError::Usage(format!(
            "--role must be ADMIN, COORDINATOR, PARTNER or ENUMERATOR, not {}",
            args.role
        ))
    })?;
    let organisation_id = match &args.org {
        Some(code) => Some(
            organisations::get_by_code(conn, &code.to_ascii_uppercase())
                .await
                .map_err(|_| {
                    RunError::Usage(format!(
                        "no organisation {code}: create it first (createOrganisation)"
                    ))
                })?
                .id,
        ),
        None => None,
    };
    let account = accounts::create(
        conn,
        None,
        AccountDraft {
            name: args.name,
            role,
            organisation_id,
            area: Default::default(),
        },
    )
    .await?;
    let (_, secret) = accounts::create_token(
        conn,
        None,
        account.id,
        "created on the command line".to_owned(),
        args.expires_in
            .map(|lifetime| chrono::Utc::now() + lifetime),
    )
    .await?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "{}", secret.expose())?;
    Ok(())
}

async fn audit(conn: &sea_orm::DatabaseConnection, command: AuditCommand) -> Result<(), RunError> {
    let mut out = std::io::stdout().lock();
    match command {
        AuditCommand::Seal => {
            let sealed = seal::seal_pending(conn).await?;
            match sealed {
                Some(n) => writeln!(out, "sealed {n} audit entries")?,
                None => writeln!(out, "another sealer is at work; nothing done")?,
            }
            Ok(())
        }
        AuditCommand::Verify => {
            let checked = seal::verify(conn).await?;
            match checked.broken {
                Some(broken) => Err(RunError::Integrity(format!(
                    "audit chain broken after {} good links: {broken}",
                    checked.checked
                ))),
                None => {
                    writeln!(
                        out,
                        "audit chain intact: {} links, {} entries not sealed yet, head {}",
                        checked.checked,
                        checked.pending,
                        checked.head.as_deref().unwrap_or("(empty)")
                    )?;
                    Ok(())
                }
            }
        }
    }
}

async fn copy_database(cli: &Cli, args: &CopyArgs) -> Result<(), RunError> {
    let open = async |url: &str| -> Result<sea_orm::DatabaseConnection, RunError> {
        let mut settings = cli.database.settings();
        settings.url = url.to_owned();
        let conn = db::connect(&settings).await?;
        db::migrate(&conn).await?;
        Ok(conn)
    };
    tracing::info!(from = %db::redact_url(&args.from), to = %db::redact_url(&args.to), "copying");
    let from = open(&args.from).await?;
    let to = open(&args.to).await?;
    let reports = copy::copy(&from, &to, args.replace).await?;
    let mut out = std::io::stdout().lock();
    for table in &reports {
        writeln!(out, "{}\t{}\t{}", table.table, table.rows, table.checksum)?;
    }
    writeln!(
        out,
        "copied {} tables, {} rows; counts and checksums match",
        reports.len(),
        reports.iter().map(|t| t.rows).sum::<u64>()
    )?;
    Ok(())
}

async fn backup(conn: &sea_orm::DatabaseConnection, args: &BackupArgs) -> Result<(), RunError> {
    use sea_orm::{ConnectionTrait, DbBackend, Statement};
    if conn.get_database_backend() != DbBackend::Sqlite {
        return Err(RunError::Usage(
            "camptrack backup is for SQLite; back PostgreSQL up with pg_dump -Fc (see README \"Backup and restore\")".into(),
        ));
    }
    if args.to.exists() {
        return Err(RunError::Usage(format!(
            "{} exists; backup writes a new file",
            args.to.display()
        )));
    }
    let path = args
        .to
        .to_str()
        .ok_or_else(|| RunError::Usage("the backup path must be valid UTF-8".into()))?;
    conn.execute_raw(Statement::from_sql_and_values(
        DbBackend::Sqlite,
        "VACUUM INTO ?",
        [path.into()],
    ))
    .await?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "backed up to {path}")?;
    Ok(())
}
