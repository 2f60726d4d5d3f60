//! The reference server of the Operations API, with named faults.
