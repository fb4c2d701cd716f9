//! Relay commands through the backend and waits for their outcome: the command's status,
//! and the relay state the server confirmed.

use crate::{TestApp, wait_for, wait_until};
use backend::commands::{Actor, NewCommand};
use backend::domain::{CommandRecord, CommandStatus, Socket};

/// Sends a relay command as `user`; panics unless the backend accepts it.
pub async fn send_relay(
    app: &TestApp,
    user: i32,
    outlet_id: i32,
    socket: Socket,
    on: bool,
) -> CommandRecord {
    app.backend()
        .send_command(Actor::User(user), NewCommand::relay(outlet_id, socket, on))
        .await
        .expect("command accepted")
}

/// Waits until `user`'s command `id` satisfies `done` (described by `what`); returns it then.
async fn wait_command_until(
    app: &TestApp,
    user: i32,
    id: &str,
    what: &str,
    done: impl Fn(&CommandRecord) -> bool + Clone,
) -> CommandRecord {
    let b = app.backend().clone();
    let id = id.to_string();
    wait_for(&format!("command {id} {what}"), || {
        let (b, id, done) = (b.clone(), id.clone(), done.clone());
        async move {
            b.get_command(backend::Actor::User(user), &id)
                .await
                .ok()
                .filter(|c| done(c))
        }
    })
    .await
}

/// Waits until `user`'s command `id` is `want`; returns it then.
pub async fn wait_command(
    app: &TestApp,
    user: i32,
    id: &str,
    want: CommandStatus,
) -> CommandRecord {
    let what = format!("to be {want:?}");
    wait_command_until(app, user, id, &what, move |c| c.status == want).await
}

/// Waits until `user`'s command `id` is no longer queued or sent; returns it then.
pub async fn wait_command_done(app: &TestApp, user: i32, id: &str) -> CommandRecord {
    wait_command_until(app, user, id, "acknowledged", |c| c.status.is_final()).await
}

/// Sends a relay command as `user` and waits for its positive ack; returns its id.
pub async fn switch_relay(
    app: &TestApp,
    user: i32,
    outlet_id: i32,
    socket: Socket,
    on: bool,
) -> String {
    let sent = send_relay(app, user, outlet_id, socket, on).await;
    let done = wait_command_done(app, user, &sent.id).await;
    assert_eq!(done.status, CommandStatus::Ok, "{done:?}");
    sent.id
}

/// The server's live relay state of one socket (`None`: unknown).
pub fn relay_state(app: &TestApp, outlet_id: i32, socket: Socket) -> Option<bool> {
    let s = app.backend().state().outlet(outlet_id)?;
    match socket {
        Socket::A => s.relay_a,
        Socket::B => s.relay_b,
    }
}

/// Waits until the server's relay state of `socket`, live and stored, is `want`.
pub async fn wait_relay(app: &TestApp, outlet_id: i32, socket: Socket, want: bool) {
    let b = app.backend().clone();
    wait_until(
        &format!("server relay {socket:?} of outlet {outlet_id} = {want}"),
        || {
            let b = b.clone();
            async move {
                let pick = |a: Option<bool>, b: Option<bool>| match socket {
                    Socket::A => a,
                    Socket::B => b,
                };
                let live = b
                    .state()
                    .outlet(outlet_id)
                    .and_then(|s| pick(s.relay_a, s.relay_b));
                let stored = b
                    .store()
                    .get_outlet(outlet_id)
                    .await
                    .ok()
                    .flatten()
                    .and_then(|o| pick(o.relay_a, o.relay_b));
                live == Some(want) && stored == Some(want)
            }
        },
    )
    .await;
}
