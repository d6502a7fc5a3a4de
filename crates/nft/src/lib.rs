//! nslab-nft (being written)
