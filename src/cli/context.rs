//! What every command needs: the repository, its policy, records and
//! journal, opened once and failing with messages that name what is wrong.
