//! nslab-probe (being written)
