//! ccu-sim
