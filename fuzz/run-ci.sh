#!/usr/bin/env bash
# Runs every cargo-fuzz target of fuzz/ for a bounded time, starting from the committed
# seeds (fuzz/seeds/<target>) and crash regressions (fuzz/regressions/<target>).
# Exits non-zero if any target crashes; the crash input lands in fuzz/artifacts/<target>.
#   FUZZ_SECONDS           seconds per broker target (default 45); the small decoders of our
#                          own (ingest_decode, legacy_body, rf_frame) get 60 % of it: they run
#                          10-30 k inputs per second, the router about 150
#   FUZZ_SECONDS_<target>  seconds for that one target (e.g. FUZZ_SECONDS_router=300)
# Needs a nightly toolchain (rustup toolchain install nightly); without one it prints that
# it skipped and exits 0. Installs cargo-fuzz from crates.io if it is missing.
set -euo pipefail

cd "$(dirname "$0")/.."
seconds="${FUZZ_SECONDS:-45}"

if ! cargo +nightly --version >/dev/null 2>&1; then
    echo "fuzz/run-ci.sh: SKIPPED fuzzing: no nightly Rust toolchain (rustup toolchain install nightly)"
    exit 0
fi
if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
    echo "fuzz/run-ci.sh: installing cargo-fuzz"
    cargo +nightly install cargo-fuzz --locked
fi

targets=$(cargo +nightly fuzz list --fuzz-dir fuzz)
cargo +nightly fuzz build --fuzz-dir fuzz

failed=()
for t in $targets; do
    corpus="fuzz/corpus/$t"
    mkdir -p "$corpus"
    inputs=("$corpus")
    for d in "fuzz/seeds/$t" "fuzz/regressions/$t"; do
        if [ -d "$d" ]; then inputs+=("$d"); fi
    done
    case "$t" in
        ingest_decode | legacy_body | rf_frame) t_seconds=$(( (seconds * 60 + 99) / 100 )) ;;
        *) t_seconds=$seconds ;;
    esac
    override="FUZZ_SECONDS_$t"
    t_seconds="${!override:-$t_seconds}"
    echo "fuzz/run-ci.sh: $t for ${t_seconds}s from ${inputs[*]}"
    # -timeout: one input taking this long counts as a hang (the router target waits on
    # the router thread); -rss_limit_mb: a leak or unbounded growth counts as a crash
    if ! cargo +nightly fuzz run --fuzz-dir fuzz "$t" "${inputs[@]}" -- \
        -max_total_time="$t_seconds" -timeout=30 -rss_limit_mb=3072 -print_final_stats=1; then
        failed+=("$t")
    fi
done

if [ ${#failed[@]} -gt 0 ]; then
    echo "fuzz/run-ci.sh: CRASH in: ${failed[*]} (inputs in fuzz/artifacts/<target>/)"
    exit 1
fi
echo "fuzz/run-ci.sh: every target ran its time without a crash: $targets" | tr '\n' ' '; echo
