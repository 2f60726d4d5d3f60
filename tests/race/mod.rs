//! Races over real HTTP: the scenarios as library functions
//! ([`scenarios`]), `opconform race` as a process ([`cli`]), and
//! concurrent stateful fuzzing ([`explore`]).

mod cli;
mod explore;
mod scenarios;
