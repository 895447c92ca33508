//! The `silo` command: serve, migrate, seed the demo city, print the schema.

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use silo_api::{Application, Settings, telemetry};
use silo_storage::{PoolSettings, Store};
use std::path::PathBuf;

/// Silo: a city's content hub (agenda, associations, news, public services).
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    /// Settings file (default: ./silo.toml when present).
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    #[command(flatten)]
    overrides: Overrides,
    #[command(subcommand)]
    command: Command,
}

/// Flags that override the settings file and the `SILO_*` variables.
#[derive(Args)]
struct Overrides {
    /// Data directory of the embedded default [env: SILO_DATA_DIR].
    #[arg(long, global = true)]
    data_dir: Option<PathBuf>,
    /// Address to listen on [env: SILO_LISTEN].
    #[arg(long, global = true)]
    listen: Option<String>,
    /// `postgres://…` to use PostgreSQL [env: SILO_DATABASE_URL].
    #[arg(long, global = true)]
    database_url: Option<String>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server.
    Serve {
        /// Load the demo city when the database is empty.
        #[arg(long)]
        demo: bool,
        /// Events of the demo city.
        #[arg(long, default_value_t = 1_000)]
        demo_events: usize,
    },
    /// Bring the database schema up to date.
    Migrate,
    /// Load content.
    Seed {
        /// Load the demo city (refused when the database already holds content).
        #[arg(long, required = true)]
        demo: bool,
        /// Number of events.
        #[arg(long, default_value_t = 1_000)]
        events: usize,
    },
    /// Print the GraphQL schema (SDL).
    Schema,
}

fn settings(cli: &Cli) -> anyhow::Result<Settings> {
    let mut s = Settings::load(cli.config.as_deref()).context("reading settings")?;
    if let Some(dir) = &cli.overrides.data_dir {
        s.data_dir = dir.clone();
    }
    if let Some(listen) = &cli.overrides.listen {
        s.listen = listen.clone();
    }
    if let Some(url) = &cli.overrides.database_url {
        s.database_url = Some(url.clone());
    }
    Ok(s)
}

async fn open_store(settings: &Settings) -> anyhow::Result<Store> {
    settings.prepare_data_dir()?;
    let pool = PoolSettings {
        max_connections: settings.max_connections,
    };
    let database = settings.database();
    tracing::info!(database = %database, "opening database");
    Ok(Store::open(&database, &pool).await?)
}

/// Loads the demo city with a progress bar; refuses a database that holds content.
async fn seed_demo(store: &Store, settings: &Settings, events: usize) -> anyhow::Result<()> {
    anyhow::ensure!(
        store.is_empty().await?,
        "the database already holds content; the demo city goes into an empty one"
    );
    let bar = indicatif::ProgressBar::new(events as u64).with_style(
        indicatif::ProgressStyle::with_template(
            "{spinner} demo city: {pos}/{len} events [{bar:40}] {per_sec} eta {eta}",
        )?
        .progress_chars("=> "),
    );
    let now = chrono::Utc::now();
    silo_storage::seed::seed_demo(store, now, now + settings.horizon(), events, |done| {
        bar.set_position(done as u64)
    })
    .await?;
    bar.finish();
    Ok(())
}

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let settings = settings(&cli)?;
    telemetry::init(&settings.log_format);
    match cli.command {
        Command::Schema => {
            print!("{}", silo_api::graphql::sdl_offline());
        }
        Command::Migrate => {
            open_store(&settings).await?;
            tracing::info!("schema up to date");
        }
        Command::Seed { events, .. } => {
            let store = open_store(&settings).await?;
            seed_demo(&store, &settings, events).await?;
        }
        Command::Serve { demo, demo_events } => {
            let store = open_store(&settings).await?;
            if demo && store.is_empty().await? {
                tracing::info!(events = demo_events, "loading the demo city");
                seed_demo(&store, &settings, demo_events).await?;
            }
            let app = Application::with_store(&settings, store).await?;
            app.run_until_stopped(settings.horizon()).await?;
        }
    }
    Ok(())
}
