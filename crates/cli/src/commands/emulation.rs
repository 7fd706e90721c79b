//! `thidua criteria`, `thidua ranking`, `thidua awards`: the emulation work from the
//! command line — the year's criteria (shown, copied to a new year), the cluster's
//! ranking from its scores, and award histories searched without diacritics.

use anyhow::bail;
use thidua_core::emulation::award::{AwardRecord, Recipient};
use thidua_core::emulation::criteria::CriterionKind;
use thidua_core::period::format_date_vi;
use thidua_core::unit::kind_label_vi;
use thidua_core::{ClusterCode, UnitCode};
use thidua_store::{Actor, Store};

use crate::args::{AwardsCommand, CriteriaCommand};

pub async fn criteria(store: &Store, command: CriteriaCommand) -> anyhow::Result<()> {
    match command {
        CriteriaCommand::Show { cluster, year } => {
            let stored = store.criteria_for_cluster(&ClusterCode::parse(&cluster)?, year).await?;
            let set = &stored.set;
            println!(
                "{} — cụm cấp {}, năm {}, phiên bản {} (thang điểm {}, điểm thưởng tối đa {})",
                set.name(),
                kind_label_vi(set.level()),
                set.year(),
                stored.version,
                set.scale().format_vi(),
                set.bonus_cap().format_vi()
            );
            for row in set.rows() {
                let c = row.criterion;
                let how = match &c.kind {
                    CriterionKind::Group(_) => String::new(),
                    CriterionKind::Manual => "  [chấm tay]".into(),
                    CriterionKind::Computed(_) => "  [tự tính từ số liệu]".into(),
                };
                println!(
                    "{}{} {} — {} điểm{how}",
                    "  ".repeat(row.depth),
                    c.code.as_str(),
                    c.name,
                    c.max.format_vi()
                );
            }
            for (label, rules) in [("Điểm thưởng", set.bonuses()), ("Điểm trừ", set.penalties())] {
                for r in rules {
                    println!(
                        "{label} {} {} — tối đa {} điểm",
                        r.code.as_str(),
                        r.name,
                        r.max.format_vi()
                    );
                }
            }
            Ok(())
        }
        CriteriaCommand::Copy { level, from, to } => {
            let saved = store.copy_criteria(&Actor::system("cli"), &level, from, to).await?;
            println!(
                "Đã chép bảng tiêu chí cụm cấp {} năm {from} sang năm {to}.",
                kind_label_vi(&level)
            );
            if !saved.message.is_empty() {
                println!("{}", saved.message);
            }
            Ok(())
        }
    }
}

pub async fn ranking(store: &Store, cluster: &str, year: i32) -> anyhow::Result<()> {
    let cluster = ClusterCode::parse(cluster)?;
    let ranking = store.ranking(&cluster, year, None).await?;
    let tree = store.unit_tree().await?;
    let name = |u: &UnitCode| tree.get(u).map_or_else(|| u.to_string(), |u| u.short_name().to_owned());
    println!(
        "Xếp hạng thi đua {cluster} năm {year} (bảng tiêu chí phiên bản {}):",
        ranking.criteria_version
    );
    let width = ranking
        .standings
        .iter()
        .map(|s| s.name.chars().count())
        .max()
        .unwrap_or(0);
    for s in &ranking.standings {
        let padding = " ".repeat(width - s.name.chars().count());
        println!(
            "{:>3}{} {}{padding}  {:>6} điểm",
            s.rank,
            if s.tied { "=" } else { " " },
            s.name,
            s.total.format_vi()
        );
    }
    if !ranking.unscored.is_empty() {
        let names: Vec<String> = ranking.unscored.iter().map(name).collect();
        println!("Chưa có điểm: {}.", names.join(", "));
    }
    Ok(())
}

fn print_history(records: &[AwardRecord]) {
    if records.is_empty() {
        println!("Không có khen thưởng nào.");
    }
    for r in records {
        let who = match &r.recipient {
            Recipient::Collective { unit } => unit.to_string(),
            Recipient::Individual { name, title, unit } => format!("{name}, {title} ({unit})"),
        };
        let revoked = r
            .revocation
            .as_ref()
            .map(|v| format!(" — ĐÃ HỦY: {}", v.reason))
            .unwrap_or_default();
        println!(
            "{}: {} — {}; QĐ số {} ngày {} của {}{revoked}",
            r.year,
            r.award_name,
            who,
            r.number,
            format_date_vi(r.signed_on),
            r.issuer
        );
    }
}

pub async fn awards(store: &Store, command: AwardsCommand) -> anyhow::Result<()> {
    match command {
        AwardsCommand::History { unit, person } => {
            let records = match (unit, person) {
                (Some(u), None) => store.award_history_of_unit(&UnitCode::parse(&u)?).await?,
                (None, Some(p)) => store.award_history_of_person(&p).await?,
                _ => bail!("cần đúng một trong hai: --unit MÃ hoặc --person \"họ tên\""),
            };
            print_history(&records);
            Ok(())
        }
    }
}
