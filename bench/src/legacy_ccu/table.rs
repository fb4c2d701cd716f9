//! The firmware's device table (at most eight ids, in the order first listed, never removed)
//! and its background round robin.

/// The most devices the firmware keeps.
pub const MAX_DEVICES: usize = 8;

/// The device table and the round robin's position.
#[derive(Debug, Default)]
pub struct DeviceTable {
    ids: Vec<String>,
    next: usize,
}

impl DeviceTable {
    /// Adds the ids it does not have yet, while there is room.
    pub fn add(&mut self, ids: impl IntoIterator<Item = String>) {
        for id in ids {
            if self.ids.len() >= MAX_DEVICES {
                break;
            }
            if !self.ids.contains(&id) {
                self.ids.push(id);
            }
        }
    }

    /// Whether `id` is in the table.
    pub fn contains(&self, id: &str) -> bool {
        self.ids.iter().any(|i| i == id)
    }

    /// Whether the table is empty.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// The next device of the round robin, skipping `focus` (served anyway): when the pick
    /// is the focused id, the one after it; none when the focused id is the only one.
    pub fn next_background(&mut self, focus: Option<&str>) -> Option<String> {
        if self.ids.is_empty() {
            return None;
        }
        let mut pick = self.next % self.ids.len();
        if focus == Some(self.ids[pick].as_str()) {
            if self.ids.len() == 1 {
                return None;
            }
            pick = (pick + 1) % self.ids.len();
        }
        self.next = pick + 1;
        Some(self.ids[pick].clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn keeps_eight_in_first_seen_order_and_never_removes() {
        let mut t = DeviceTable::default();
        t.add(ids(&["FE", "FD", "FE"]));
        t.add(ids(&["FC"]));
        t.add(ids(&["01", "02", "03", "04", "05", "06", "07"]));
        assert_eq!(
            t.ids,
            ids(&["FE", "FD", "FC", "01", "02", "03", "04", "05"])
        );
        t.add(Vec::new());
        assert!(t.contains("FD") && !t.contains("06"));
    }

    #[test]
    fn round_robin_skips_the_focused_id() {
        let mut t = DeviceTable::default();
        t.add(ids(&["A", "B", "C"]));
        let picks: Vec<_> = (0..5)
            .map(|_| t.next_background(Some("B")).unwrap())
            .collect();
        assert_eq!(picks, ids(&["A", "C", "A", "C", "A"]));
        assert_eq!(t.next_background(None).as_deref(), Some("B"));
        assert_eq!(t.next_background(Some("X")).as_deref(), Some("C"));
    }

    #[test]
    fn nothing_when_only_the_focused_id_is_known() {
        let mut t = DeviceTable::default();
        assert_eq!(t.next_background(None), None);
        t.add(ids(&["A"]));
        assert_eq!(t.next_background(Some("A")), None);
        assert_eq!(t.next_background(None).as_deref(), Some("A"));
    }
}
