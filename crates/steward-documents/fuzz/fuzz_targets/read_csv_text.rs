#![no_main]
use libfuzzer_sys::fuzz_target;

include!("common.rs");

fuzz_target!(|data: &[u8]| {
    read_as("list.csv", data);
    read_as("notes.txt", data);
    let _ = steward_documents::detect_format("unknown", data);
});
