//! nslab-sys (being written)
