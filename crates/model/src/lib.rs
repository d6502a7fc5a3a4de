//! nslab-model (being written)
