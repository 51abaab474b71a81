//! Fuzz target: `rbacgraph::fuzzing::target_parse` (see that function for what it drives).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Err(broken) = rbacgraph::fuzzing::target_parse(data) {
        panic!("invariant broken: {broken}");
    }
});
