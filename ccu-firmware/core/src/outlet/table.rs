//! The bounded outlet table, in insertion order (which is also the poll order).

use super::Outlet;
use crate::Error;
use crate::protocol::{DeviceId, DeviceList, MAX_OUTLETS_PER_CCU};

/// Up to [`MAX_OUTLETS_PER_CCU`] outlets.
#[derive(Debug, Clone, Default)]
pub struct OutletTable {
    outlets: heapless::Vec<Outlet, MAX_OUTLETS_PER_CCU>,
}

impl OutletTable {
    /// An empty table.
    pub const fn new() -> OutletTable {
        OutletTable {
            outlets: heapless::Vec::new(),
        }
    }

    /// Number of outlets.
    pub fn len(&self) -> usize {
        self.outlets.len()
    }

    /// True when there are no outlets.
    pub fn is_empty(&self) -> bool {
        self.outlets.is_empty()
    }

    /// The outlet with this id.
    pub fn get(&self, id: DeviceId) -> Option<&Outlet> {
        self.outlets.iter().find(|o| o.id() == id)
    }

    /// The outlet with this id, mutably.
    pub fn get_mut(&mut self, id: DeviceId) -> Option<&mut Outlet> {
        self.outlets.iter_mut().find(|o| o.id() == id)
    }

    /// The outlet at a position (poll order).
    pub fn at(&self, index: usize) -> Option<&Outlet> {
        self.outlets.get(index)
    }

    /// Every outlet, in poll order.
    pub fn iter(&self) -> impl Iterator<Item = &Outlet> {
        self.outlets.iter()
    }

    /// Adds an outlet (or returns the existing one); [`Error::Full`] when the table is full.
    pub fn insert(&mut self, id: DeviceId) -> Result<&mut Outlet, Error> {
        match self.outlets.iter().position(|o| o.id() == id) {
            Some(i) => Ok(&mut self.outlets[i]),
            None => {
                self.outlets
                    .push(Outlet::new(id))
                    .map_err(|_| Error::Full)?;
                let last = self.outlets.len() - 1;
                Ok(&mut self.outlets[last])
            }
        }
    }

    /// Removes an outlet, returning its state.
    pub fn remove(&mut self, id: DeviceId) -> Option<Outlet> {
        let i = self.outlets.iter().position(|o| o.id() == id)?;
        Some(self.outlets.remove(i))
    }

    /// Makes the table match the server's list: keeps the state of listed outlets, adds new ones
    /// in list order, drops unlisted ones.
    pub fn sync(&mut self, list: &DeviceList) {
        self.outlets
            .retain(|o| list.devices.iter().any(|d| d.device_id == o.id()));
        for entry in &list.devices {
            // The list holds at most MAX_OUTLETS_PER_CCU entries, so this cannot be full.
            let _ = self.insert(entry.device_id);
        }
    }
}
