//! The scenarios, run one after the other, each against its own fresh server and database.

mod broker_cmp;
mod commands;
mod commands_load;
mod connections;
mod energy;
mod fault;
mod ingest;
mod instances;
mod instances_numbers;
mod instances_snapshot;
mod legacy;
mod legacy_commands;
mod legacy_watch;
mod live;
mod load;
mod readiness;
mod stamped;

use crate::args::Args;
use crate::invariants::{self, Check};
use crate::profile::Sizes;
use crate::report::{Report, Section, machine};
use serde_json::Value;
use std::future::Future;
use std::time::Instant;

/// What a scenario hands back: table rows and numbers.
pub struct Outcome {
    /// `(label, value)` for the table.
    pub rows: Vec<(String, String)>,
    /// The same, for the JSON file.
    pub numbers: Value,
}

/// Runs the selected scenarios, prints the table, writes the JSON; fails if any failed.
pub async fn run_all(args: &Args) -> anyhow::Result<()> {
    let mut sizes = Sizes::of(args.profile);
    if let Some(n) = args.connections {
        sizes.connections = n;
    }
    if let Some(n) = args.legacy_commands {
        sizes.legacy_commands = n;
    }
    let mut report = Report {
        profile: args.profile,
        machine: machine(),
        sections: Vec::new(),
    };
    let pg = args.postgres();
    let started = Instant::now();
    if args.wants("ingest") {
        let name = "ingest (SQLite)";
        run(
            &mut report,
            args,
            name,
            ingest::run(&sizes, None),
            invariants::ingest,
        )
        .await;
        match &pg {
            Some(url) => {
                let name = "ingest (PostgreSQL)";
                let ingest = ingest::run(&sizes, Some(url));
                run(&mut report, args, name, ingest, invariants::ingest).await
            }
            None => skipped(
                &mut report,
                "ingest (PostgreSQL)",
                "no --postgres-url / TEST_DATABASE_URL",
                args.strict,
            ),
        }
    }
    if args.wants("fault") {
        let name = "database outage (SQLite)";
        let fault = fault::run(&sizes, None);
        run(&mut report, args, name, fault, invariants::fault).await;
        // On PostgreSQL when there is one: its server stopped and started when it is
        // `./test with-postgres`'s (TEST_POSTGRES_CTL), else a table renamed in the bench's
        // own database. Without one nothing is skipped: the SQLite run is the scenario.
        if let Some(url) = &pg {
            let name = "database outage (PostgreSQL)";
            let fault = fault::run(&sizes, Some(url));
            run(&mut report, args, name, fault, invariants::fault).await;
        }
    }
    if args.wants("commands") {
        let name = "command latency";
        run(
            &mut report,
            args,
            name,
            commands::run(&sizes),
            invariants::none,
        )
        .await;
    }
    if args.wants("commands-load") {
        let name = "command latency under load";
        let loaded = commands_load::run(&sizes);
        run(
            &mut report,
            args,
            name,
            loaded,
            invariants::commands_under_load,
        )
        .await;
    }
    if args.wants("live") {
        let name = "live view latency";
        run(&mut report, args, name, live::run(&sizes), invariants::live).await;
    }
    if args.wants("connections") {
        let name = "connections";
        let connections = connections::run(&sizes);
        run(
            &mut report,
            args,
            name,
            connections,
            invariants::connections,
        )
        .await;
    }
    if args.wants("broker") {
        let name = "embedded vs Mosquitto";
        let cmp = broker_cmp::run(&sizes, &args.mosquitto);
        run(&mut report, args, name, cmp, invariants::broker_comparison).await;
    }
    if args.wants("instances") {
        // Several instances need PostgreSQL (and an external broker): skipped without it.
        let name = "1 vs 2 instances (Mosquitto, PostgreSQL)";
        match &pg {
            Some(url) => {
                let cmp = instances::run(&sizes, url, &args.mosquitto, args.instances_inflight);
                run(&mut report, args, name, cmp, invariants::instances).await
            }
            None => skipped(
                &mut report,
                name,
                "no --postgres-url / TEST_DATABASE_URL",
                args.strict,
            ),
        }
    }
    if args.wants("energy") {
        run(
            &mut report,
            args,
            "energy roll-up (SQLite)",
            energy::run(&sizes, None),
            invariants::energy,
        )
        .await;
        if let Some(url) = &pg {
            let rolled = energy::run(&sizes, Some(url));
            let name = "energy roll-up (PostgreSQL)";
            run(&mut report, args, name, rolled, invariants::energy).await;
        }
    }
    if args.wants("legacy") {
        let name = "legacy shim";
        run(
            &mut report,
            args,
            name,
            legacy::run(&sizes),
            invariants::none,
        )
        .await;
    }
    report.print();
    report.write(&args.out)?;
    println!();
    println!(
        "total {:.0} s; JSON written to {}",
        started.elapsed().as_secs_f64(),
        args.out.display()
    );
    let failed: Vec<&str> = report
        .sections
        .iter()
        .filter(|s| s.error.is_some())
        .map(|s| s.scenario.as_str())
        .collect();
    anyhow::ensure!(failed.is_empty(), "scenarios failed: {}", failed.join(", "));
    Ok(())
}

/// Runs one scenario and checks its invariants: a broken one is a row, and under `--strict`
/// the scenario's failure.
async fn run(
    report: &mut Report,
    args: &Args,
    name: &str,
    f: impl Future<Output = anyhow::Result<Outcome>>,
    check: Check,
) {
    progress(&format!("{name}: starting"));
    let t = Instant::now();
    let section = match f.await {
        Ok(mut o) => {
            let broken = check(&o.numbers);
            let mut error = (o.rows.is_empty() || o.numbers.is_null())
                .then(|| "the scenario produced no numbers".to_string());
            if !broken.is_empty() {
                let what = broken.join("; ");
                progress(&format!("{name}: invariant broken: {what}"));
                o.rows
                    .push(("invariants".into(), format!("BROKEN: {what}")));
                if args.strict {
                    error.get_or_insert(format!("invariant broken: {what}"));
                }
            }
            Section {
                scenario: name.to_string(),
                error,
                rows: o.rows,
                numbers: o.numbers,
            }
        }
        Err(e) => Section {
            scenario: name.to_string(),
            rows: Vec::new(),
            numbers: Value::Null,
            error: Some(format!("{e:#}")),
        },
    };
    progress(&format!(
        "{name}: done in {:.1} s",
        t.elapsed().as_secs_f64()
    ));
    report.sections.push(section);
}

fn skipped(report: &mut Report, name: &str, why: &str, strict: bool) {
    progress(&format!("{name}: skipped ({why})"));
    report.sections.push(Section {
        scenario: name.to_string(),
        rows: vec![("skipped".into(), why.into())],
        numbers: Value::Null,
        error: strict.then(|| format!("skipped in --strict mode: {why}")),
    });
}

/// A progress line on stderr.
pub fn progress(line: &str) {
    eprintln!("[bench] {line}");
}

/// `n / seconds`, rounded.
pub fn rate(n: u64, secs: f64) -> f64 {
    if secs <= 0.0 {
        0.0
    } else {
        (n as f64 / secs).round()
    }
}

/// Bytes as MiB with one decimal.
pub fn mib(bytes: u64) -> f64 {
    (bytes as f64 / 1024.0 / 1024.0 * 10.0).round() / 10.0
}
