//! nslab-netlink (being written)
