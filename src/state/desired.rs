//! desired (todo)
