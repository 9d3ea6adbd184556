//! TODO(repo)
