//! Requests from a [`super::SimCcu`] handle to its runner task.

use tokio::sync::oneshot;

/// A request, answered on its channel once done.
#[derive(Debug)]
pub enum Control {
    /// Drop the connection abruptly and stay offline.
    CutNetwork(oneshot::Sender<()>),
    /// Reconnect after a cut.
    RestoreNetwork(oneshot::Sender<()>),
    /// Say goodbye and end the task.
    Stop(oneshot::Sender<()>),
}
