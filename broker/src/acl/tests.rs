//! Unit tests of the ACL: topic matching, filters, per-role rules.
use super::*;

fn ccu(id: &str) -> ClientAcl {
    Acl::default().for_principal(&Principal::ccu(id))
}

#[test]
fn a_ccu_publishes_only_on_its_own_uplink_topics() {
    let acl = ccu("02");
    for t in ["ccu/02/sensor", "ccu/02/breaker", "ccu/02/ack"] {
        assert_eq!(acl.check_publish(t, false), Ok(()), "{t}");
        assert_eq!(
            acl.check_publish(t, true),
            Err(Denial::PublishRetain),
            "{t}"
        );
    }
    assert_eq!(acl.check_publish("ccu/02/status", true), Ok(()));
    for t in [
        "ccu/03/sensor",
        "ccu/02/cmd",
        "ccu/02/devices",
        "ccu/02/sensor/x",
        "ccu/02",
        "ccu/+/sensor",
        "ccu/02/#",
        "other",
        "",
    ] {
        assert_eq!(
            acl.check_publish(t, false),
            Err(Denial::PublishTopic),
            "{t}"
        );
    }
}

#[test]
fn a_ccu_subscribes_only_to_its_own_downlink_topics() {
    let acl = ccu("02");
    for f in [
        "ccu/02/cmd",
        "ccu/02/devices",
        "ccu/02/error",
        "$share/g/ccu/02/cmd",
    ] {
        assert_eq!(acl.check_subscribe(f), Ok(()), "{f}");
    }
    for f in [
        "#",
        "+/#",
        "ccu/#",
        "ccu/+/cmd",
        "ccu/02/#",
        "ccu/02/+",
        "ccu/03/devices",
        "ccu/02/sensor",
        "$share/g/#",
        "$share//ccu/02/cmd",
        "$share/g",
        "ccu/02/cmd/#",
        "ccu/02/c#",
        "",
    ] {
        assert_eq!(acl.check_subscribe(f), Err(Denial::SubscribeFilter), "{f}");
    }
}

#[test]
fn an_id_with_mqtt_syntax_gets_nothing() {
    for id in ["+", "#", "a/b", ""] {
        let acl = ccu(id);
        assert!(acl.check_subscribe("ccu/+/cmd").is_err(), "{id}");
        assert!(acl.check_subscribe("#").is_err(), "{id}");
        assert!(acl.check_publish("ccu/x/sensor", false).is_err(), "{id}");
    }
}

#[test]
fn the_backend_may_do_everything_but_reach_dollar_topics_with_wildcards() {
    let acl = Acl::default().for_principal(&Principal::backend("smart-outlet-backend"));
    assert_eq!(acl.check_publish("ccu/02/cmd", false), Ok(()));
    assert_eq!(acl.check_publish("ccu/02/devices", true), Ok(()));
    assert_eq!(acl.check_subscribe("$share/so/ccu/+/sensor"), Ok(()));
    assert_eq!(acl.check_subscribe("#"), Ok(()));
    assert!(acl.check_subscribe("$SYS/#").is_err());
}

#[test]
fn wills_follow_the_publish_rules() {
    let acl = ccu("02");
    assert_eq!(acl.check_will("ccu/02/status", true), Ok(()));
    assert_eq!(acl.check_will("ccu/03/status", true), Err(Denial::Will));
    assert_eq!(acl.check_will("ccu/02/sensor", true), Err(Denial::Will));
}

#[test]
fn deny_rows_win_over_allow_rows() {
    let acl = Acl::new(vec![
        Rule::new(Role::Anonymous, Action::Publish, "#", true),
        Rule::new(Role::Anonymous, Action::Subscribe, "#", false),
        Rule {
            effect: Effect::Deny,
            ..Rule::new(
                Role::Anonymous,
                Action::Subscribe,
                "test/nosubscribe",
                false,
            )
        },
    ])
    .for_principal(&Principal::anonymous("x"));
    assert_eq!(
        acl.check_subscribe("test/nosubscribe"),
        Err(Denial::SubscribeFilter)
    );
    assert!(acl.check_subscribe("$share/g/test/nosubscribe").is_err());
    // Overlapping wildcards stay allowed: no anonymous client may publish there.
    assert_eq!(acl.check_subscribe("test/+"), Ok(()));
    assert_eq!(acl.check_subscribe("#"), Ok(()));
    assert_eq!(acl.check_subscribe("test/other"), Ok(()));
    assert_eq!(
        acl.check_publish("test/nosubscribe", false),
        Err(Denial::PublishTopic)
    );
    assert_eq!(acl.check_publish("a/b", true), Ok(()));
}

#[test]
fn filter_algebra() {
    assert!(topic_matches("a/b", "a/+"));
    assert!(topic_matches("a/b", "#"));
    assert!(topic_matches("a", "a/#"));
    assert!(!topic_matches("$SYS/x", "#"));
    assert!(!topic_matches("$SYS/x", "+/x"));
    assert!(topic_matches("$SYS/x", "$SYS/#"));
    assert!(!topic_matches("a/b/c", "a/+"));
    assert!(within("a/b", "a/+"));
    assert!(within("a/+", "a/+"));
    assert!(!within("a/#", "a/+"));
    assert!(within("a/#", "a/#"));
    assert!(within("a", "a/#"));
    assert!(!within("+/b", "a/+"));
    assert!(!within("a/b/c", "a/+"));
    assert!(overlaps("a/+", "+/b"));
    assert!(overlaps("#", "x/y"));
    assert!(!overlaps("a/b", "a/c"));
    assert!(!overlaps("a/b", "a/b/c"));
    assert!(overlaps("a/b", "a/b/#"));
    assert!(valid_filter("a/+/#"));
    assert!(!valid_filter("a/#/b"));
    assert!(!valid_filter("a+"));
    assert!(!valid_filter(""));
}
