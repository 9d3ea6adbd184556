//! TODO(identity)
