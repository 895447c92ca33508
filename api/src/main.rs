//! The `silo` command: serve, migrate, seed the demo city, print the schema.

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use silo_api::opendata::{ExportFormat, write_agenda};
use silo_api::{Application, Settings, admin, telemetry};
use silo_storage::{PoolSettings, Store};
use std::path::PathBuf;

// The exports and the GraphQL reads allocate many small strings per row; glibc's
// allocator spent a fifth of an export's time in malloc and free.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
    /// User accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// Departments.
    #[command(subcommand)]
    Department(DepartmentCommand),
    /// Department roles.
    #[command(subcommand)]
    Member(MemberCommand),
    /// Satellite sites and their keys.
    #[command(subcommand)]
    Site(SiteCommand),
    /// The audit log.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Open data exports.
    #[command(subcommand)]
    Export(ExportCommand),
    /// Rebuild the search index from the database. A running server keeps answering
    /// from the current index and switches to the new one when it is complete.
    Reindex,
}

#[derive(Subcommand)]
enum ExportCommand {
    /// The published agenda, as the `/opendata` endpoints serve it.
    Agenda {
        #[arg(long, value_enum, default_value = "ics")]
        format: AgendaFormat,
        /// A date (2026-12-01) or an RFC 3339 instant; default today.
        #[arg(long)]
        from: Option<String>,
        /// Default: a year after `from`.
        #[arg(long)]
        to: Option<String>,
        /// Only this site's channel (its slug).
        #[arg(long)]
        site: Option<String>,
        /// The hub's public address, for the events' URLs.
        #[arg(long, default_value = "http://localhost:8080")]
        base_url: String,
        /// Write to this file (with a progress bar) instead of standard output.
        #[arg(short = 'o', long)]
        output: Option<PathBuf>,
    },
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum AgendaFormat {
    Ics,
    Csv,
    Jsonld,
    Json,
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Check the whole chain; exits with status 1 and names the first broken entry.
    Verify {
        /// `SEQ:HASH` printed by an earlier verify and kept elsewhere: also check that
        /// this entry still has this hash.
        #[arg(long)]
        expect: Option<String>,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create an account; the password is read from the terminal, or from stdin's first line.
    Create {
        #[arg(long)]
        email: String,
        /// Global administrator (webmaster).
        #[arg(long)]
        admin: bool,
    },
    /// Disable an account: it cannot sign in and its sessions end at once.
    Disable {
        #[arg(long)]
        email: String,
    },
    /// Enable a disabled account.
    Enable {
        #[arg(long)]
        email: String,
    },
    /// Set a new password (read like `create`); ends the account's sessions.
    ResetPassword {
        #[arg(long)]
        email: String,
    },
    /// List accounts.
    List,
}

#[derive(Subcommand)]
enum DepartmentCommand {
    /// Create a department.
    Create {
        #[arg(long)]
        name: String,
        /// Derived from the name when absent.
        #[arg(long)]
        slug: Option<String>,
        /// Slug of the parent department.
        #[arg(long)]
        parent: Option<String>,
        /// Publishing needs a second person.
        #[arg(long)]
        four_eyes: bool,
    },
    /// List departments.
    List,
}

#[derive(Subcommand)]
enum MemberCommand {
    /// Give a user a role on a department (and its sub-departments).
    Grant {
        #[arg(long)]
        email: String,
        /// Department slug.
        #[arg(long)]
        department: String,
        /// contributor, editor, publisher or manager.
        #[arg(long)]
        role: String,
    },
}

#[derive(Subcommand)]
enum SiteCommand {
    /// Create a satellite site.
    Create {
        #[arg(long)]
        name: String,
        #[arg(long)]
        slug: Option<String>,
        #[arg(long)]
        base_url: String,
        /// Department slugs whose content the site shows (repeat; none: all).
        #[arg(long = "department")]
        departments: Vec<String>,
    },
    /// List sites.
    List,
    /// API keys of a site.
    #[command(subcommand)]
    Key(SiteKeyCommand),
}

#[derive(Subcommand)]
enum SiteKeyCommand {
    /// Issue a key; it is printed once and stored only as a hash.
    Create {
        /// Site slug.
        #[arg(long)]
        site: String,
        #[arg(long, default_value = "default")]
        label: String,
    },
    /// Revoke a key by id: refused from the next request on.
    Revoke {
        #[arg(long)]
        id: String,
    },
    /// List a site's keys.
    List {
        #[arg(long)]
        site: String,
    },
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

async fn user_command(store: &Store, command: UserCommand) -> anyhow::Result<()> {
    match command {
        UserCommand::Create { email, admin } => {
            let user = admin::create_user(store, &email, admin::read_password()?, admin).await?;
            println!(
                "created user {} ({}){}",
                user.email,
                user.id,
                if user.admin { ", admin" } else { "" }
            );
        }
        UserCommand::Disable { email } => {
            admin::set_disabled(store, &email, true).await?;
            println!("disabled {email}; its sessions are revoked");
        }
        UserCommand::Enable { email } => {
            admin::set_disabled(store, &email, false).await?;
            println!("enabled {email}");
        }
        UserCommand::ResetPassword { email } => {
            admin::reset_password(store, &email, admin::read_password()?).await?;
            println!("new password set for {email}; its sessions are revoked");
        }
        UserCommand::List => {
            for u in store.users().await? {
                let flags = [
                    (u.admin, "admin"),
                    (u.auditor, "auditor"),
                    (u.disabled, "disabled"),
                ]
                .iter()
                .filter(|(on, _)| *on)
                .map(|(_, name)| *name)
                .collect::<Vec<_>>()
                .join(",");
                println!("{}\t{}\t{flags}", u.id, u.email);
            }
        }
    }
    Ok(())
}

async fn site_command(store: &Store, command: SiteCommand) -> anyhow::Result<()> {
    match command {
        SiteCommand::Create {
            name,
            slug,
            base_url,
            departments,
        } => {
            let site = admin::create_site(store, &name, slug, &base_url, &departments).await?;
            println!("created site {} ({})", site.slug, site.id);
        }
        SiteCommand::List => {
            for s in store.sites().await? {
                println!("{}\t{}\t{}", s.id, s.slug, s.base_url);
            }
        }
        SiteCommand::Key(SiteKeyCommand::Create { site, label }) => {
            let (key, id) = admin::create_site_key(store, &site, &label).await?;
            eprintln!("key {id} for site {site}; it is shown once, store it now:");
            println!("{key}");
        }
        SiteCommand::Key(SiteKeyCommand::Revoke { id }) => {
            admin::revoke_site_key(store, &id).await?;
            println!("revoked key {id}");
        }
        SiteCommand::Key(SiteKeyCommand::List { site }) => {
            let found = store.site_by_slug(&site).await?;
            let site = found.ok_or_else(|| anyhow::anyhow!("no site `{site}`"))?;
            for k in store.site_keys(site.id).await? {
                let state = k
                    .revoked_at
                    .map_or("live".to_owned(), |t| format!("revoked {t}"));
                println!("{}\t{}…\t{}\t{state}", k.id, k.prefix, k.label);
            }
        }
    }
    Ok(())
}

/// Runs `silo export agenda`: to a file with a progress bar, or to standard output.
async fn export_agenda(
    store: std::sync::Arc<Store>,
    format: ExportFormat,
    query: &[(String, String)],
    base: &str,
    output: Option<&std::path::Path>,
) -> anyhow::Result<()> {
    match output {
        Some(path) => {
            let file = std::fs::File::create(path)
                .with_context(|| format!("creating {}", path.display()))?;
            let mut out = std::io::BufWriter::new(file);
            let bar = indicatif::ProgressBar::new_spinner().with_style(
                indicatif::ProgressStyle::with_template(
                    "{spinner} {msg}: {bytes} written ({bytes_per_sec})",
                )?,
            );
            bar.set_message(path.display().to_string());
            let written = write_agenda(store, format, query, base, &mut out, |n| {
                bar.set_position(n)
            })
            .await?;
            bar.finish_and_clear();
            eprintln!("wrote {} ({written} bytes)", path.display());
        }
        None => {
            let mut out = std::io::BufWriter::new(std::io::stdout().lock());
            write_agenda(store, format, query, base, &mut out, |_| {}).await?;
        }
    }
    Ok(())
}

/// Runs `silo reindex`: a new embedded index beside the live one, then the swap.
async fn reindex(store: &Store, settings: &Settings) -> anyhow::Result<()> {
    let index = silo_api::search::open_for_rebuild(settings)?;
    let bar = indicatif::ProgressBar::new_spinner().with_style(
        indicatif::ProgressStyle::with_template("{spinner} search index: {pos} items {per_sec}")?,
    );
    let started = std::time::Instant::now();
    let items = store
        .rebuild_search(&index, |n| bar.set_position(n))
        .await?;
    bar.finish_and_clear();
    println!(
        "search index rebuilt: {items} items in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Runs `silo audit verify`; false when the log does not check out.
async fn audit_verify(store: &Store, expect: Option<&str>) -> anyhow::Result<bool> {
    let bar = indicatif::ProgressBar::new_spinner().with_style(
        indicatif::ProgressStyle::with_template("{spinner} audit log: {pos} entries checked")?,
    );
    let report = admin::verify_audit_log(store, expect, |n| bar.set_position(n as u64)).await?;
    bar.finish_and_clear();
    let v = &report.verification;
    match &v.broken {
        Some(broken) => println!(
            "audit log BROKEN at {broken}; the {} entries before it check out",
            v.verified
        ),
        None => println!(
            "audit log intact: {} entries; head {}:{} (note it elsewhere and pass it as \
             --expect next time)",
            v.verified, v.head_seq, v.head_hash
        ),
    }
    if let Some(failed) = &report.expectation_failed {
        println!("audit log BROKEN: {failed}");
    }
    Ok(report.intact())
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
        Command::User(command) => user_command(&open_store(&settings).await?, command).await?,
        Command::Export(ExportCommand::Agenda {
            format,
            from,
            to,
            site,
            base_url,
            output,
        }) => {
            let store = std::sync::Arc::new(open_store(&settings).await?);
            let format = match format {
                AgendaFormat::Ics => ExportFormat::Ics,
                AgendaFormat::Csv => ExportFormat::Csv,
                AgendaFormat::Jsonld => ExportFormat::JsonLd,
                AgendaFormat::Json => ExportFormat::Json,
            };
            let query: Vec<(String, String)> = [("from", from), ("to", to), ("site", site)]
                .into_iter()
                .filter_map(|(k, v)| Some((k.to_owned(), v?)))
                .collect();
            export_agenda(store, format, &query, &base_url, output.as_deref()).await?;
        }
        Command::Reindex => {
            let store = open_store(&settings).await?;
            reindex(&store, &settings).await?;
        }
        Command::Audit(AuditCommand::Verify { expect }) => {
            let store = open_store(&settings).await?;
            if !audit_verify(&store, expect.as_deref()).await? {
                std::process::exit(1);
            }
        }
        Command::Department(command) => {
            let store = open_store(&settings).await?;
            match command {
                DepartmentCommand::Create {
                    name,
                    slug,
                    parent,
                    four_eyes,
                } => {
                    let d =
                        admin::create_department(&store, &name, slug, parent.as_deref(), four_eyes)
                            .await?;
                    println!("created department {} ({})", d.slug, d.id);
                }
                DepartmentCommand::List => {
                    for d in store.departments().await? {
                        println!(
                            "{}\t{}\t{}\t{}",
                            d.id,
                            d.slug,
                            d.name,
                            d.review_policy.as_str()
                        );
                    }
                }
            }
        }
        Command::Member(MemberCommand::Grant {
            email,
            department,
            role,
        }) => {
            let store = open_store(&settings).await?;
            admin::grant(&store, &email, &department, &role).await?;
            println!("{email} is {role} on {department}");
        }
        Command::Site(command) => site_command(&open_store(&settings).await?, command).await?,
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
