//! What can go wrong with the spool.

/// A spool failure.
#[derive(Debug, thiserror::Error)]
pub enum SpoolError {
    /// The bound (`spool.max_bytes`) would be passed: the record was not taken.
    #[error("spool full ({bytes} of {max} bytes)")]
    Full {
        /// Bytes held.
        bytes: u64,
        /// The bound.
        max: u64,
    },
    /// A record larger than a frame may be.
    #[error("record of {0} bytes is larger than a spool frame may be")]
    TooLarge(usize),
    /// The file system failed.
    #[error("spool I/O: {0}")]
    Io(#[from] std::io::Error),
}
