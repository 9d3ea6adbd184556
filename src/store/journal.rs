//! TODO(journal)
