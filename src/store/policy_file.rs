//! TODO(policy_file)
