//! Every route of the served spec, as anonymous, another user and the owner, judged against
//! the rules (refusals, no leak of the owner's strings, documented statuses).

use super::*;

/// Checks one answer; `Err` says what is wrong.
fn judge(
    route: &str,
    public: bool,
    call: &Call,
    who: Caller,
    status: u16,
    leaks: &[&str],
) -> Result<(), String> {
    if status >= 500 {
        return Err(format!("server error {status}"));
    }
    if who != Caller::Owner && !leaks.is_empty() {
        return Err(format!("leak: {}", leaks.join(", ")));
    }
    match who {
        Caller::Anonymous if public => Ok(()),
        Caller::Anonymous if status == 401 => Ok(()),
        Caller::Anonymous => Err(format!("expected 401, got {status}")),
        Caller::Other if status == 401 => Err("a valid token was refused".into()),
        Caller::Other if call.names_owner_object && !(status == 403 || status == 404) => Err(
            format!("expected 403/404 for another user's object, got {status}"),
        ),
        Caller::Other => Ok(()),
        Caller::Owner if (200..300).contains(&status) => Ok(()),
        Caller::Owner => match OWNER_EXPECTED_4XX.iter().find(|(r, _, _)| *r == route) {
            Some((_, want, _)) if *want == status => Ok(()),
            _ => Err(format!("owner expected 2xx, got {status}")),
        },
    }
}

#[tokio::test]
async fn every_spec_route_refuses_strangers_and_serves_its_owner() {
    let w = world().await;
    let spec: Value = w
        .http
        .get(format!("{}/openapi.json", w.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();

    // Every operation, non-destructive ones first; deletes last, those naming no object
    // (e.g. deleting one's account) at the very end.
    let mut ops = Vec::new();
    for (path, item) in spec["paths"].as_object().expect("paths") {
        for (m, op) in item.as_object().expect("path item") {
            let Ok(method) = Method::from_bytes(m.to_uppercase().as_bytes()) else {
                continue;
            };
            if !["GET", "POST", "PUT", "PATCH", "DELETE"].contains(&method.as_str()) {
                continue;
            }
            let rank = match (method == Method::DELETE, path.contains('{')) {
                (false, _) => 0,
                (true, true) => 1,
                (true, false) => 2,
            };
            ops.push((rank, path.clone(), method, op.clone()));
        }
    }
    ops.sort_by_key(|(rank, ..)| *rank);
    assert!(ops.len() >= 30, "the spec lists {} operations", ops.len());

    // Public routes: exactly those the spec marks without security.
    let unsecured: BTreeSet<String> = ops
        .iter()
        .filter(|(_, _, _, op)| {
            op.get("security")
                .is_none_or(|s| s.as_array().is_some_and(Vec::is_empty))
        })
        .map(|(_, p, m, _)| format!("{m} {p}"))
        .collect();
    let listed: BTreeSet<String> = PUBLIC.iter().map(|s| s.to_string()).collect();
    assert_eq!(
        unsecured, listed,
        "routes without security in the spec vs PUBLIC"
    );

    let mut table = String::new();
    let mut failures = Vec::new();
    let mut counts: HashMap<(Caller, &'static str), usize> = HashMap::new();
    for (_, path, method, op) in &ops {
        let route = format!("{method} {path}");
        let public = PUBLIC.contains(&route.as_str());
        let mut row = format!("{route:<45}");
        for who in Caller::ALL {
            let call = match w.call(path, method, op, who) {
                Ok(c) => c,
                Err(e) => {
                    failures.push(e);
                    let _ = write!(row, " {:>6}", "?");
                    continue;
                }
            };
            let (status, body) = w.send(&call, who).await;
            let leaks = w.leaks(&call, &body);
            let verdict = judge(&route, public, &call, who, status, &leaks);
            let _ = write!(
                row,
                " {:>5}{}",
                status,
                if verdict.is_ok() { " " } else { "!" }
            );
            *counts
                .entry((who, if verdict.is_ok() { "ok" } else { "FAIL" }))
                .or_default() += 1;
            if let Err(e) = verdict {
                failures.push(format!("{route} as {}: {e}; body: {body:.300}", who.tag()));
            }
        }
        let _ = writeln!(table, "{row}");
    }

    let mut out = format!(
        "\naccess matrix: {} routes x 3 callers (status; '!' = unexpected)\n{:<45} {:>6} {:>6} {:>6}\n{table}",
        ops.len(),
        "route",
        "anon",
        "other",
        "owner"
    );
    for who in Caller::ALL {
        let _ = writeln!(
            out,
            "access matrix: {:<5} {} ok, {} failed",
            who.tag(),
            counts.get(&(who, "ok")).unwrap_or(&0),
            counts.get(&(who, "FAIL")).unwrap_or(&0)
        );
    }
    report("spec", &out);
    assert!(
        failures.is_empty(),
        "access matrix failures:\n{}",
        failures.join("\n")
    );
}
