//! The commands: each opens the database (creating and migrating it as needed) and does
//! one thing; `bench-data` only writes files.

mod bench_data;
mod cluster_xlsx;
mod dhis2;
mod emulation;
mod import;
mod report;
mod rollup;
mod serve;
mod token;
mod user;
mod verify_audit;
mod verify_ballot;
mod window;

use anyhow::Context;
use thidua_store::{DatabaseUrl, ServerKey, Store};

use crate::args::{Args, Command, ImportKind};

/// Runs the command the arguments name.
pub async fn run(args: Args) -> anyhow::Result<()> {
    // Writes files only: no database is opened (or created).
    if let Command::BenchData(options) = &args.command {
        return bench_data::run(options);
    }
    init_logging(matches!(args.command, Command::Serve { .. }));
    let url = DatabaseUrl::parse(&args.db)?;
    let key = match &args.key_file {
        Some(path) => ServerKey::load_or_create(path)?,
        None => url.default_key()?,
    };
    let store = Store::connect_with_key(&url, key)
        .await
        .with_context(|| format!("không mở được cơ sở dữ liệu {url}"))?;
    let result = match args.command {
        Command::Import {
            kind: ImportKind::ClusterXlsx,
            file,
            by,
            overwrite_accepted,
            dry_run,
            cluster,
            period,
        } => {
            let options = cluster_xlsx::ImportOptions {
                by,
                overwrite_accepted,
                dry_run,
                cluster,
                period,
            };
            cluster_xlsx::import(&store, &file, options).await
        }
        Command::Import { cluster: Some(_), .. } | Command::Import { period: Some(_), .. } => Err(anyhow::anyhow!(
            "--cluster và --period chỉ dùng với «thidua import cluster-xlsx»"
        )),
        Command::Import {
            kind: ImportKind::Dhis2,
            file,
            by,
            overwrite_accepted,
            dry_run,
            ..
        } => dhis2::import(&store, &file, by, overwrite_accepted, dry_run).await,
        Command::Import { dry_run: true, .. } => Err(anyhow::anyhow!("--dry-run chỉ dùng với «thidua import dhis2»")),
        Command::Import {
            kind,
            file,
            by,
            overwrite_accepted,
            dry_run: false,
            ..
        } => import::run(&store, kind, &file, by, overwrite_accepted).await,
        Command::Export(crate::args::ExportCommand::ClusterXlsx {
            cluster,
            period,
            output,
        }) => cluster_xlsx::export(&store, &cluster, &period, &output).await,
        Command::Export(command) => dhis2::export(&store, command).await,
        Command::Token(command) => token::run(&store, command).await,
        Command::Rollup {
            cluster,
            unit,
            period,
            format,
            tree,
        } => rollup::run(&store, cluster.as_deref(), unit.as_deref(), &period, format, &tree).await,
        Command::Demo => {
            serve::load_demo(&store).await?;
            println!("Đã nạp dữ liệu mẫu Cụm thi đua số 2 (HN-CUM2), 6 tháng đầu năm 2022 vào {url}.");
            serve::print_demo_accounts();
            Ok(())
        }
        Command::User(command) => user::run(&store, command).await,
        Command::Criteria(command) => emulation::criteria(&store, command).await,
        Command::Ranking { cluster, year } => emulation::ranking(&store, &cluster, year).await,
        Command::Awards(command) => emulation::awards(&store, command).await,
        Command::Report {
            cluster,
            period,
            format,
            output,
            template,
        } => {
            report::run(
                &thidua_app::App::for_one_command(store.clone()),
                &cluster,
                &period,
                &format,
                output.as_deref(),
                template.as_deref(),
            )
            .await
        }
        Command::Window(command) => window::run(&store, command).await,
        Command::Verify(crate::args::VerifyCommand::Audit) => verify_audit::run(&store).await,
        Command::Verify(crate::args::VerifyCommand::Ballot { id }) => verify_ballot::run(&store, id).await,
        Command::Serve { addr, demo, web, mail } => serve::run(&store, &url, addr, demo, web, mail).await,
        Command::BenchData(_) => Ok(()), // written above, without a database
    };
    store.close().await;
    result
}

fn init_logging(serving: bool) {
    let default = if serving { "info,tower_http=info" } else { "warn" };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    // Colour codes only on a terminal: in a log file or journald they are noise.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(ansi)
        .try_init();
}
