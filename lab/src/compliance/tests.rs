//! Unit tests of the compliance answers.
