//! Races over real HTTP: the scenarios as library functions
//! ([`scenarios`]) and `opconform race` as a process ([`cli`]).

mod cli;
mod scenarios;
