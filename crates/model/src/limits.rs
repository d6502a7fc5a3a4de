//! Every limit on the input, in one place. A topology file is a few
//! kilobytes; these are far above any real lab and far below what would
//! cost a machine memory or time (an alias bomb, `/dev/zero`, nesting that
//! would overflow the stack).

/// Largest topology file read, in bytes (4 MiB). Reading stops one byte
/// past it, so `/dev/zero` or a 100 MB file costs 4 MiB, not all of it.
pub const MAX_FILE_BYTES: usize = 4 << 20;

/// The same limit as people read it, for messages.
pub const MAX_FILE_TEXT: &str = "4 MiB";

/// Deepest nesting of lists and maps (a real file nests 6 levels).
pub const MAX_DEPTH: usize = 32;

/// Most YAML nodes (scalars, lists, maps) in a file.
pub const MAX_NODES: usize = 200_000;

/// Most parser events (aliases replayed count).
pub const MAX_EVENTS: usize = 400_000;

/// Most aliases (`*name`) in a file.
pub const MAX_ALIASES: usize = 10_000;

/// Most events replayed from aliases in total: what stops a "billion
/// laughs" file, where each alias repeats the one before ten times.
pub const MAX_REPLAYED_EVENTS: usize = 100_000;

/// Most bytes of scalar text, aliases expanded.
pub const MAX_SCALAR_BYTES: usize = 8 << 20;

/// The YAML reader's options with these limits.
pub(crate) fn yaml_options() -> serde_saphyr::Options {
    let mut options = serde_saphyr::Options::default();
    // YAML 1.2 booleans only: a node called `off` or `no` is a name, not
    // `false` (the YAML 1.1 "Norway problem"); `010` stays as written.
    options.strict_booleans = true;
    options.leading_zero_numbers_as_strings = true;
    let mut budget = serde_saphyr::Budget::default();
    budget.max_reader_input_bytes = Some(MAX_FILE_BYTES);
    budget.max_depth = MAX_DEPTH;
    budget.flow_nesting_limit = MAX_DEPTH;
    budget.max_nodes = MAX_NODES;
    budget.max_events = MAX_EVENTS;
    budget.max_aliases = MAX_ALIASES;
    budget.max_recorded_anchor_events = MAX_REPLAYED_EVENTS;
    budget.max_total_scalar_bytes = MAX_SCALAR_BYTES;
    budget.max_documents = 1;
    budget.max_inclusion_depth = 0;
    options.budget = Some(budget);
    let mut alias = serde_saphyr::options::AliasLimits::default();
    alias.max_total_replayed_events = MAX_REPLAYED_EVENTS;
    alias.max_replay_stack_depth = MAX_DEPTH;
    options.alias_limits = alias;
    options
}
