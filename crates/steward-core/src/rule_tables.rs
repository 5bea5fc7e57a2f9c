//! Rule tables (grading grids, schedules, questionnaires) read once per data folder: the
//! DPO's own copies beside the database when there are any, else the files shipped in each
//! domain crate. One cache for every module, keyed by the tables' type and the folder.

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use crate::Steward;

type Cache = HashMap<(TypeId, PathBuf), Arc<dyn Any + Send + Sync>>;

/// The tables of type `T` for this Steward's data folder, loaded by `load` the first time
/// (a copy that does not read is logged and the shipped tables, `embedded`, are used).
pub fn cached<T: Send + Sync + 'static>(
    steward: &Steward,
    what: &str,
    load: impl FnOnce(&Path) -> Result<T, String>,
    embedded: impl FnOnce() -> T,
) -> Arc<T> {
    static CACHE: OnceLock<Mutex<Cache>> = OnceLock::new();
    let dir = steward.config.data_dir.clone();
    let mut cache = CACHE
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    let tables = cache
        .entry((TypeId::of::<T>(), dir.clone()))
        .or_insert_with(|| {
            let t = load(&dir).unwrap_or_else(|e| {
                tracing::warn!(error = %e, "using the shipped {what} rule tables");
                embedded()
            });
            Arc::new(t) as Arc<dyn Any + Send + Sync>
        })
        .clone();
    tables
        .downcast::<T>()
        .unwrap_or_else(|_| unreachable!("the cache is keyed by the tables' type"))
}
