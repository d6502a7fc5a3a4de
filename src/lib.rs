#![deny(unsafe_code)]
//! nslab library (being written)
