//! Fuzz target: `rbacgraph::fuzzing::audit_log` (see that function for what it drives).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Err(broken) = rbacgraph::fuzzing::audit_log(data) {
        panic!("invariant broken: {broken}");
    }
});
