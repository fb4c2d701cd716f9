//! Who is asking: a user (every service checks that the thing belongs to them) or the
//! system (the command line, the server's own rules: no ownership check).

use crate::domain::Source;

/// The one way a service is told who is asking.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor {
    /// A user, through the web layer or the legacy shim's bound account: ownership is checked.
    User(i32),
    /// The system or the CLI: no ownership check; the source is recorded in events.
    System(Source),
}

impl Actor {
    /// The command line.
    pub const CLI: Actor = Actor::System(Source::Cli);

    /// The user, when a user is asking.
    pub fn user_id(self) -> Option<i32> {
        match self {
            Actor::User(id) => Some(id),
            Actor::System(_) => None,
        }
    }

    /// What events record as the origin of the change.
    pub fn source(self) -> Source {
        match self {
            Actor::User(_) => Source::Web,
            Actor::System(s) => s,
        }
    }

    /// Whether this actor may see and change what `owner_id` owns.
    pub fn may_act_for(self, owner_id: i32) -> bool {
        self.user_id().is_none_or(|u| u == owner_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_user_acts_for_themselves_only_and_the_system_for_everyone() {
        assert!(Actor::User(3).may_act_for(3));
        assert!(!Actor::User(3).may_act_for(4));
        assert!(Actor::CLI.may_act_for(4));
        assert_eq!(Actor::User(3).source(), Source::Web);
        assert_eq!(Actor::System(Source::Server).source(), Source::Server);
        assert_eq!(Actor::CLI.user_id(), None);
    }
}
