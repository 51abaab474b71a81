//! Fuzz target: `rbacgraph::fuzzing::json_loader` (see that function for what it drives).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Err(broken) = rbacgraph::fuzzing::json_loader(data) {
        panic!("invariant broken: {broken}");
    }
});
