//! Fuzz target: `rbacgraph::fuzzing::build_and_query` (see that function for what it drives).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Err(broken) = rbacgraph::fuzzing::build_and_query(data) {
        panic!("invariant broken: {broken}");
    }
});
