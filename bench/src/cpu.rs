//! CPU time from `/proc`: of one process (the server, Mosquitto, the bench itself), of a
//! process and its children (a PostgreSQL server: the postmaster and one backend per
//! connection), and of the whole machine, so that a scenario can say where the cores went.

use std::collections::HashMap;

/// CPU seconds (user + system) process `pid` has used (0 once it is gone).
pub fn process_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name (which may contain spaces) start at ") ".
    let after = stat.rsplit_once(") ").map(|(_, r)| r).unwrap_or("");
    let f: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    // utime and stime are fields 14 and 15 of /proc/pid/stat (11 and 12 here).
    (ticks(11) + ticks(12)) / clock_ticks()
}

/// The process listening on TCP `port` on any address (from `/proc/net/tcp{,6}` and the
/// processes' open sockets), if this user may see it.
pub fn listener_pid(port: u16) -> Option<u32> {
    let inodes: Vec<String> = ["/proc/net/tcp", "/proc/net/tcp6"]
        .iter()
        .filter_map(|f| std::fs::read_to_string(f).ok())
        .flat_map(|t| {
            t.lines()
                .skip(1)
                .filter_map(|l| {
                    let f: Vec<&str> = l.split_whitespace().collect();
                    let local_port = f.get(1)?.rsplit_once(':')?.1;
                    let listening = f.get(3)? == &"0A";
                    let inode = f.get(9)?;
                    (listening && u16::from_str_radix(local_port, 16).ok()? == port)
                        .then(|| format!("socket:[{inode}]"))
                })
                .collect::<Vec<_>>()
        })
        .collect();
    if inodes.is_empty() {
        return None;
    }
    pids().into_iter().find(|pid| {
        std::fs::read_dir(format!("/proc/{pid}/fd"))
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|fd| std::fs::read_link(fd.path()).ok())
            .any(|link| inodes.iter().any(|i| link.as_os_str() == i.as_str()))
    })
}

/// CPU seconds of `pid` and of each of its children, by pid.
pub fn tree_seconds(pid: u32) -> HashMap<u32, f64> {
    let mut out = HashMap::new();
    out.insert(pid, process_seconds(pid));
    for child in pids() {
        let stat = std::fs::read_to_string(format!("/proc/{child}/stat")).unwrap_or_default();
        let after = stat.rsplit_once(") ").map(|(_, r)| r).unwrap_or("");
        // the parent's pid is field 4 of /proc/pid/stat (1 here)
        if after.split_whitespace().nth(1) == Some(&pid.to_string()) {
            out.insert(child, process_seconds(child));
        }
    }
    out
}

/// The CPU seconds used between two [`tree_seconds`]: by processes seen both times, plus all
/// of those that started in between.
pub fn tree_delta(before: &HashMap<u32, f64>, after: &HashMap<u32, f64>) -> f64 {
    after
        .iter()
        .map(|(pid, t)| t - before.get(pid).unwrap_or(&0.0))
        .sum()
}

fn pids() -> Vec<u32> {
    std::fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse().ok())
        .collect()
}

/// The machine's busy CPU seconds so far, over all cores (everything but idle and iowait).
pub fn machine_busy_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    let times: Vec<f64> = stat
        .lines()
        .next()
        .unwrap_or("")
        .split_whitespace()
        .skip(1)
        .filter_map(|v| v.parse().ok())
        .collect();
    // user nice system idle iowait irq softirq steal ...
    let idle = times.get(3).unwrap_or(&0.0) + times.get(4).unwrap_or(&0.0);
    (times.iter().take(8).sum::<f64>() - idle) / clock_ticks()
}

/// The 1-minute load average (`/proc/loadavg`): how busy the machine was around a run.
pub fn load_average() -> f64 {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split_whitespace().next()?.parse().ok())
        .unwrap_or(0.0)
}

/// Kernel clock ticks per second (`getconf CLK_TCK`, 100 when it cannot be asked).
pub fn clock_ticks() -> f64 {
    static TICKS: std::sync::OnceLock<f64> = std::sync::OnceLock::new();
    *TICKS.get_or_init(|| {
        std::process::Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .ok()
            .and_then(|o| String::from_utf8(o.stdout).ok())
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or(100.0)
    })
}
