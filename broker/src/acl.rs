//! Who may publish and subscribe to what: the broker's topic rules, as data.
//!
//! [`RULES`] is the whole table for the built-in roles (it is reproduced in `docs/mqtt.md`);
//! a login yields a [`Principal`] (a role and the id its rows are written for) and
//! [`Acl::for_principal`] turns the rows of that role into a [`ClientAcl`], the object the
//! broker asks for every PUBLISH, SUBSCRIBE and the will. Anything no row allows is refused.
//!
//! Rules are MQTT filters in which `{id}` stands for the principal's id. A publish is allowed
//! when its topic matches an allow row of its role (and that row permits `retain` if the
//! publish is retained) and no deny row. A subscription is allowed only when every topic it
//! could ever match is allowed: the filter must lie inside one allow row (`ccu/+/cmd` does
//! not lie inside `ccu/02/cmd`) and not inside a deny row. (A wildcard that merely overlaps a
//! deny row stays allowed: nobody of that role may publish there, so nothing reaches it
//! through the deny row.) `$share/<group>/` is stripped first; the group does not widen what
//! may be read.

use std::sync::Arc;

/// The kinds of principal the broker knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// The server's own client: everything.
    Backend,
    /// A CCU: only its own `ccu/<id>/…` topics.
    Ccu,
    /// A client without credentials, only with `mqtt.allow_anonymous` (development).
    Anonymous,
}

impl Role {
    /// Name used in logs and metrics.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Backend => "backend",
            Role::Ccu => "ccu",
            Role::Anonymous => "anonymous",
        }
    }
}

/// What a rule is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// PUBLISH (and the will).
    Publish,
    /// SUBSCRIBE.
    Subscribe,
}

/// Whether a matching rule admits or refuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    /// Admits.
    Allow,
    /// Refuses, whatever allows.
    Deny,
}

/// One row of the table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    /// Whose row.
    pub role: Role,
    /// Publish or subscribe.
    pub action: Action,
    /// Allow or deny.
    pub effect: Effect,
    /// An MQTT filter; `{id}` is the principal's id.
    pub filter: std::borrow::Cow<'static, str>,
    /// Publish rows: whether a retained publish is allowed.
    pub retain: bool,
}

impl Rule {
    /// An allow row (configured rows: anonymous access, integrators).
    pub fn allow(role: Role, action: Action, filter: String, retain: bool) -> Rule {
        Rule {
            role,
            action,
            effect: Effect::Allow,
            filter: std::borrow::Cow::Owned(filter),
            retain,
        }
    }

    /// A deny row: refuses publishes matching `filter` and subscriptions lying within it.
    pub fn deny(role: Role, filter: String) -> Rule {
        Rule {
            role,
            action: Action::Subscribe,
            effect: Effect::Deny,
            filter: std::borrow::Cow::Owned(filter),
            retain: false,
        }
    }

    const fn new(role: Role, action: Action, filter: &'static str, retain: bool) -> Rule {
        Rule {
            role,
            action,
            effect: Effect::Allow,
            filter: std::borrow::Cow::Borrowed(filter),
            retain,
        }
    }
}

/// The built-in table. Integrator accounts will be one more role with its rows here.
pub const RULES: &[Rule] = &[
    Rule::new(Role::Ccu, Action::Publish, "ccu/{id}/sensor", false),
    Rule::new(Role::Ccu, Action::Publish, "ccu/{id}/breaker", false),
    Rule::new(Role::Ccu, Action::Publish, "ccu/{id}/ack", false),
    Rule::new(Role::Ccu, Action::Publish, "ccu/{id}/status", true),
    Rule::new(Role::Ccu, Action::Subscribe, "ccu/{id}/cmd", false),
    Rule::new(Role::Ccu, Action::Subscribe, "ccu/{id}/devices", false),
    Rule::new(Role::Ccu, Action::Subscribe, "ccu/{id}/error", false),
    Rule::new(Role::Backend, Action::Publish, "#", true),
    Rule::new(Role::Backend, Action::Subscribe, "#", false),
];

/// Who a connection is, as decided at CONNECT.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// Its role.
    pub role: Role,
    /// The id its rows are written for (a CCU id; the username otherwise).
    pub id: String,
}

impl Principal {
    /// A CCU.
    pub fn ccu(id: impl Into<String>) -> Principal {
        Principal {
            role: Role::Ccu,
            id: id.into(),
        }
    }

    /// The server's own client.
    pub fn backend(id: impl Into<String>) -> Principal {
        Principal {
            role: Role::Backend,
            id: id.into(),
        }
    }

    /// A client without credentials.
    pub fn anonymous(client_id: impl Into<String>) -> Principal {
        Principal {
            role: Role::Anonymous,
            id: client_id.into(),
        }
    }
}

/// Why a request was refused (a `/metrics` label).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Denial {
    /// PUBLISH on a topic the principal may not write.
    PublishTopic,
    /// Retained PUBLISH where only plain ones are allowed.
    PublishRetain,
    /// SUBSCRIBE to a filter that reaches beyond the principal's topics.
    SubscribeFilter,
    /// CONNECT with a will the principal may not publish.
    Will,
}

impl Denial {
    /// Every reason, for exposition.
    pub const ALL: [Denial; 4] = [
        Denial::PublishTopic,
        Denial::PublishRetain,
        Denial::SubscribeFilter,
        Denial::Will,
    ];

    /// Label value.
    pub fn as_str(self) -> &'static str {
        match self {
            Denial::PublishTopic => "publish_topic",
            Denial::PublishRetain => "publish_retain",
            Denial::SubscribeFilter => "subscribe_filter",
            Denial::Will => "will",
        }
    }
}

/// The table in force: the built-in rows plus configured ones (anonymous access).
#[derive(Debug, Clone)]
pub struct Acl {
    rules: Arc<Vec<Rule>>,
}

impl Default for Acl {
    fn default() -> Self {
        Acl::new(Vec::new())
    }
}

impl Acl {
    /// [`RULES`] followed by `extra`.
    pub fn new(extra: Vec<Rule>) -> Acl {
        let mut rules = RULES.to_vec();
        rules.extend(extra);
        Acl {
            rules: Arc::new(rules),
        }
    }

    /// Every row, built-in first.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// The rows of `principal`'s role with its id filled in.
    pub fn for_principal(&self, principal: &Principal) -> ClientAcl {
        let mut acl = ClientAcl {
            publish: Vec::new(),
            subscribe: Vec::new(),
            deny: Vec::new(),
        };
        for rule in self.rules.iter().filter(|r| r.role == principal.role) {
            let filter = rule.filter.replace("{id}", &principal.id);
            // An id containing MQTT syntax must not widen its own rows.
            if rule.filter.contains("{id}") && !is_plain_level(&principal.id) {
                continue;
            }
            let literal = !filter.contains(['+', '#']);
            let compiled = Compiled {
                filter,
                literal,
                retain: rule.retain,
            };
            match (rule.effect, rule.action) {
                (Effect::Deny, _) => acl.deny.push(compiled),
                (Effect::Allow, Action::Publish) => acl.publish.push(compiled),
                (Effect::Allow, Action::Subscribe) => acl.subscribe.push(compiled),
            }
        }
        acl
    }
}

/// A level that is safe to put into a filter: not empty, no `/`, `+`, `#` or NUL.
fn is_plain_level(s: &str) -> bool {
    !s.is_empty() && !s.contains(['/', '+', '#', '\0'])
}

#[derive(Debug, Clone)]
struct Compiled {
    filter: String,
    literal: bool,
    retain: bool,
}

/// One principal's rules, ready to answer the broker.
#[derive(Debug, Clone)]
pub struct ClientAcl {
    publish: Vec<Compiled>,
    subscribe: Vec<Compiled>,
    deny: Vec<Compiled>,
}

impl ClientAcl {
    /// May this client publish `topic` (retained or not)?
    pub fn check_publish(&self, topic: &str, retain: bool) -> Result<(), Denial> {
        if topic.contains(['+', '#']) || self.deny.iter().any(|d| topic_matches(topic, &d.filter)) {
            return Err(Denial::PublishTopic);
        }
        let mut topic_ok = false;
        for rule in &self.publish {
            let hit = if rule.literal {
                rule.filter == topic
            } else {
                topic_matches(topic, &rule.filter)
            };
            if hit {
                if !retain || rule.retain {
                    return Ok(());
                }
                topic_ok = true;
            }
        }
        Err(if topic_ok {
            Denial::PublishRetain
        } else {
            Denial::PublishTopic
        })
    }

    /// May this client subscribe to `filter`?
    pub fn check_subscribe(&self, filter: &str) -> Result<(), Denial> {
        let filter = strip_share(filter).ok_or(Denial::SubscribeFilter)?;
        if !valid_filter(filter) || self.deny.iter().any(|d| within(filter, &d.filter)) {
            return Err(Denial::SubscribeFilter);
        }
        if self.subscribe.iter().any(|rule| {
            if rule.literal {
                rule.filter == filter
            } else {
                within(filter, &rule.filter)
            }
        }) {
            Ok(())
        } else {
            Err(Denial::SubscribeFilter)
        }
    }

    /// May this client leave `topic` as its will?
    pub fn check_will(&self, topic: &str, retain: bool) -> Result<(), Denial> {
        self.check_publish(topic, retain).map_err(|_| Denial::Will)
    }
}

/// `$share/<group>/<filter>` → `<filter>`; `None` for a malformed share.
fn strip_share(filter: &str) -> Option<&str> {
    match filter.strip_prefix("$share/") {
        None => Some(filter),
        Some(rest) => {
            let (group, inner) = rest.split_once('/')?;
            if group.is_empty() || group.contains(['+', '#']) || inner.is_empty() {
                None
            } else {
                Some(inner)
            }
        }
    }
}

/// A syntactically valid MQTT filter (MQTT 3.1.1 § 4.7).
pub fn valid_filter(filter: &str) -> bool {
    if filter.is_empty() || filter.contains('\0') {
        return false;
    }
    let levels: Vec<&str> = filter.split('/').collect();
    let last = levels.len() - 1;
    levels.iter().enumerate().all(|(i, l)| {
        if l.contains('#') {
            *l == "#" && i == last
        } else if l.contains('+') {
            *l == "+"
        } else {
            true
        }
    })
}

/// Does `topic` (no wildcards) match `filter`? Topics starting with `$` are not matched by a
/// wildcard in the first level (MQTT 3.1.1 § 4.7.2). A topic is the filter that matches only
/// itself, so this is [`within`].
pub fn topic_matches(topic: &str, filter: &str) -> bool {
    within(topic, filter)
}

/// Is every topic that `filter` matches also matched by `outer`?
pub fn within(filter: &str, outer: &str) -> bool {
    let mut f = filter.split('/');
    let mut first = true;
    for o in outer.split('/') {
        let level = f.next();
        if o == "#" {
            // `#` at the first level reaches no `$` topic.
            return !(first && level.is_some_and(|l| l.starts_with('$')));
        }
        match level {
            None => return false,
            Some(l) => {
                if o == "+" {
                    if l == "#" || (first && l.starts_with('$')) {
                        return false;
                    }
                } else if l != o {
                    return false;
                }
            }
        }
        first = false;
    }
    f.next().is_none()
}

/// Could some topic match both filters?
pub fn overlaps(a: &str, b: &str) -> bool {
    let mut x = a.split('/');
    let mut y = b.split('/');
    loop {
        match (x.next(), y.next()) {
            (Some("#"), _) | (_, Some("#")) => return true,
            (None, None) => return true,
            (None, Some(_)) | (Some(_), None) => return false,
            (Some(p), Some(q)) => {
                if p != "+" && q != "+" && p != q {
                    return false;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests;
