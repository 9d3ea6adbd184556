//! TODO(notes)
