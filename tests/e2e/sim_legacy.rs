//! Simulated CCUs on the legacy HTTP cycle against the real server (filled in by the legacy-uplink work).
