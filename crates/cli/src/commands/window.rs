//! `thidua window`: when a period's forms may be entered, when they are due, and when
//! entry locks.

use chrono::NaiveDate;
use thidua_core::Period;
use thidua_core::period::format_date_vi;
use thidua_core::workflow::ReportingWindow;
use thidua_store::Store;

use crate::args::WindowCommand;

fn parse_date(field: &str, raw: &str) -> anyhow::Result<NaiveDate> {
    NaiveDate::parse_from_str(raw.trim(), "%d/%m/%Y")
        .or_else(|_| NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d"))
        .map_err(|_| anyhow::anyhow!("{field}: «{raw}» không phải là ngày (ví dụ 25/7/2022 hoặc 2022-07-25)"))
}

pub async fn run(store: &Store, command: WindowCommand) -> anyhow::Result<()> {
    match command {
        WindowCommand::Set {
            period,
            opens,
            deadline,
            lock_days,
        } => {
            let window = ReportingWindow {
                period: Period::parse(&period)?,
                opens_on: parse_date("--opens", &opens)?,
                deadline: parse_date("--deadline", &deadline)?,
                lock_after_days: lock_days,
            };
            store.set_reporting_window(window).await?;
            print(&window);
        }
        WindowCommand::Show { period } => print(&store.reporting_window(Period::parse(&period)?).await?),
    }
    Ok(())
}

fn print(w: &ReportingWindow) {
    println!(
        "{}: mở nhập liệu {}, hạn nộp {}, khóa sau hạn {} ngày.",
        w.period.label_vi(),
        format_date_vi(w.opens_on),
        format_date_vi(w.deadline),
        w.lock_after_days
    );
}
