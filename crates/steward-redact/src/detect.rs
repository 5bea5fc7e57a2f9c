//! detect (to be written)
