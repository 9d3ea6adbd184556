//! TODO(records)
